// What each staff role may do on this screen: the roles holding each permission in
// chalicelib/auth.py (tests/integration/test_display_static.py keeps the two in step). It only
// decides which buttons show; the server still decides, and a refused action shows its message.
export const ROLES_WITH = {
  'orders:fire': ['admin', 'cajero', 'mesero'],
  'orders:rush': ['admin', 'cajero', 'mesero', 'cocina'],
  'menu:sold_out': ['admin', 'cocina'],
  'reportes:cocina': ['admin', 'cocina'],
};

export function can(role, permission) {
  return (ROLES_WITH[permission] || []).includes(role);
}
