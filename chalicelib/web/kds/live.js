// The kitchen's live socket is the shared one (chalicelib/web/common/live.js), in the kds namespace.
export { LiveFeed, backoffDelay, socketUrl } from '../common/live.js';
