"""The service-account operations the tests send, written once."""

from __future__ import annotations

ACCOUNT_FIELDS = "id name description roles status createdAt createdBy { email }"

CREATE_ACCOUNT = f"""
mutation($input: CreateServiceAccountInput!) {{
  createServiceAccount(input: $input) {{ {ACCOUNT_FIELDS} }}
}}
"""
UPDATE_ACCOUNT = f"""
mutation($id: ID!, $input: UpdateServiceAccountInput!) {{
  updateServiceAccount(id: $id, input: $input) {{ {ACCOUNT_FIELDS} }}
}}
"""
DELETE_ACCOUNT = "mutation($id: ID!) { deleteServiceAccount(id: $id) }"
ACCOUNTS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  serviceAccounts(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { id name }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ACCOUNT = "query($id: ID!) { serviceAccount(id: $id) { id name roles status } }"
ACCOUNT_NODE = "query($id: ID!) { node(id: $id) { id ... on ServiceAccount { name } } }"
ACCOUNT_KEYS = """
query($id: ID!, $first: Int, $after: String) {
  serviceAccount(id: $id) {
    apiKeys(first: $first, after: $after) {
      totalCount
      nodes { name status }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey {
      id name scopes status
      createdBy { email }
      owner { __typename ... on User { email } ... on ServiceAccount { id name } }
    }
  }
}
"""
CURRENT_KEY_OWNER = """
{ currentApiKey { id owner { __typename ... on ServiceAccount { id name roles } } } }
"""
KEY_OWNER = """
query($id: ID!) {
  apiKey(id: $id) {
    status
    createdBy { email }
    owner { __typename ... on User { email } ... on ServiceAccount { name } }
  }
}
"""
LIST_KEYS_WITH_OWNERS = """
{
  apiKeys(first: 100) {
    nodes {
      name
      createdBy { email }
      owner { __typename ... on User { email } ... on ServiceAccount { name } }
    }
  }
}
"""
ROLL_KEY = "mutation($id: ID!) { rollKey(id: $id) { secret apiKey { id } } }"
UPDATE_KEY = """
mutation($id: ID!, $name: String!) { updateApiKey(id: $id, input: {name: $name}) { name } }
"""
KEYS_COUNT = "{ apiKeys { totalCount } }"
USERS_COUNT = "{ users { totalCount } }"
