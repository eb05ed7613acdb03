// The server's clock lives in the shared web modules (chalicelib/web/common/clock.js).
export { clock } from '../common/clock.js';
