// The seed's kitchen client: io(url + '/cocina', {auth: {token}}), printing what it hears as JSON lines.
// usage: node socketio_kitchen.mjs <url> <token> <transports: default|websocket|polling,...>
import { io } from "socket.io-client";

const [url, token, transports] = process.argv.slice(2);
const options = { auth: { token }, reconnection: false };
if (transports && transports !== "default") options.transports = transports.split(",");
const socket = io(url + "/cocina", options);
const say = (event, data) => console.log(JSON.stringify({ event, data }));

socket.on("connect", () => say("connect", { transport: socket.io.engine.transport.name }));
socket.on("connect_error", (err) => say("connect_error", err.message));
socket.on("disconnect", (reason) => say("disconnect", reason));
socket.io.on("open", () => socket.io.engine.on("upgrade", (t) => say("upgrade", t.name)));
socket.io.on("ping", () => say("ping", socket.io.engine.transport.name));
for (const name of ["nuevo-pedido", "pedidos-actualizados", "pedido-completado"]) {
  socket.on(name, (data) => say(name, data));
}
