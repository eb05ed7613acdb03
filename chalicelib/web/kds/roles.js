// What each staff role may do on this screen: the roles holding each permission in
// chalicelib/auth.py (tests/integration/test_display_static.py keeps the two in step). It only
// decides which buttons show; the server still decides, and a refused action shows its message.
export const ROLES_WITH = {
  'transacciones:fire': ['admin', 'cajero', 'mesero'],
  'transacciones:rush': ['admin', 'cajero', 'mesero', 'cocina'],
  'catalog:sold_out': ['admin', 'cocina'],
  'reports:kitchen': ['admin', 'cocina'],
};

export function can(role, permission) {
  return (ROLES_WITH[permission] || []).includes(role);
}
