// Who may use the dashboard and what the staff screen can grant: the roles holding each permission
// in chalicelib/auth.py and its role list (tests/integration/test_panel_static.py keeps them in
// step). The server still decides: a refused action shows its message.
export const ROLES_WITH = {
  'reports:sales': ['admin'],
  'usuarios:manage': ['admin'],
  'catalog:write': ['admin'],
  'auditoria:read': ['admin'],
};

export const ROLES = ['admin', 'cajero', 'mesero', 'cocina', 'repartidor'];

export function can(role, permission) {
  return (ROLES_WITH[permission] || []).includes(role);
}
