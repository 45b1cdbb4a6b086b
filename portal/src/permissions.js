// What the signed-in user may do, from the role table in docs/api.md ("By role"): a button
// is shown only where the server would accept it. The server still decides; a refusal is
// shown as it comes.
const RANK = { SUPER_ADMIN: 3, ADMIN: 2, READ_ONLY: 1 };

export function strongestRole(user) {
  return (user?.roles ?? []).reduce(
    (best, role) => ((RANK[role] ?? 0) > (RANK[best] ?? 0) ? role : best),
    null,
  );
}

export function can(me) {
  const role = strongestRole(me);
  const superAdmin = role === "SUPER_ADMIN";
  const admin = superAdmin || role === "ADMIN";
  const isMe = (user) => user?.id === me?.id;
  const ownKey = (key) => key?.createdBy?.id != null && key.createdBy.id === me?.id;
  return {
    role,
    viewUsers: admin,
    seeKeyOwners: admin,
    createUser: superAdmin,
    editUser: (user) => superAdmin || (admin && !user.roles.includes("SUPER_ADMIN")),
    grantSuperAdmin: superAdmin,
    resetPassword: (user) => superAdmin && !isMe(user),
    deleteUser: (user) => superAdmin && !isMe(user),
    createKey: admin,
    revokeKey: (key) => admin && key.status !== "REVOKED",
    disableKey: (key) => admin && key.status === "ACTIVE",
    // Enabling re-opens access: the key's owner or a super-admin, as for editing.
    enableKey: (key) => (superAdmin || (admin && ownKey(key))) && key.status === "DISABLED",
    deleteKey: () => superAdmin,
    rollKey: (key) => admin && ownKey(key) && key.status === "ACTIVE",
    editKey: (key) => (superAdmin || (admin && ownKey(key))) && key.status !== "REVOKED",
    auditLog: superAdmin,
  };
}
