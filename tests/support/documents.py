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
