// What each staff role may do on this screen: the roles holding each permission in
// chalicelib/auth.py (tests/integration/test_pos_static.py keeps the two in step). The server
// still decides: a refused action shows its message.
export const ROLES_WITH = {
  'caja:operate': ['admin', 'cajero'],
  'pagos:create': ['admin', 'cajero'],
  'transacciones:write': ['admin', 'cajero', 'mesero'],
  'orders:update_item_status': ['admin', 'cocina', 'mesero'],
};

export function can(role, permission) {
  return (ROLES_WITH[permission] || []).includes(role);
}
