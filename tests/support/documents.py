"""GraphQL documents that several test modules send, each written once. A module keeps a
document of its own where its selection is what it tests."""

from __future__ import annotations

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt user { id email } }
}
"""

# Sign-in where only the token matters (the limiter's and throttle's tests count these).
LOGIN_TOKEN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""

CHANGE_PASSWORD = """
mutation ChangePassword($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}
"""

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }
"""

UPDATE_USER = """
mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id }
}
"""

RESET_PASSWORD = """
mutation ResetPassword($userId: ID!, $newPassword: String!) {
  resetPassword(userId: $userId, newPassword: $newPassword) { id }
}
"""

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id } }
}
"""

KEY_METRICS = """
query { keyMetrics { totalKeys activeKeys expiredKeys revokedKeys apiCallsToday } }
"""

CREATE_API_KEY_SECRET = """
mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }
"""

DELETE_USER = "mutation DeleteUser($id: ID!) { deleteUser(id: $id) }"
DELETE_API_KEY = "mutation DeleteApiKey($id: ID!) { deleteApiKey(id: $id) }"
REVOKE_KEY = "mutation RevokeKey($id: ID!) { revokeKey(id: $id) { id } }"
LOGOUT = "mutation { logout }"
USERS_COUNT = "query ($first: Int) { users(first: $first) { totalCount } }"

# Who the caller is. The named ones where the operation's name shows (logs, GET URLs).
ME_ID = "{ me { id } }"
ME_EMAIL = "{ me { email } }"
ME_ID_EMAIL = "{ me { id email } }"
ME_NAMED = "query Me { me { id email } }"
ME_EMAIL_NAMED = "query Me { me { email } }"

# For live servers, short variables; the first super-admin's sign-in takes `%` its password.
LIVE_LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
LOGIN_AS_ADMIN = 'mutation { login(email: "owner@example.com", password: "%s") { token } }'
LIVE_CREATE_KEY = """mutation($name: String!) {
  createApiKey(input: {name: $name, scopes: [READ]}) { secret apiKey { id } }
}"""
