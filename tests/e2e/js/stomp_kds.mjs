// An Ordering Stack integration in the manner of pos-integrator-example: @stomp/stompjs 7 over `ws`.
// usage: node stomp_kds.mjs <ws url> <token> <destination>; prints what it hears as JSON lines.
import { Client } from "@stomp/stompjs";
import WebSocket from "ws";

const [url, token, destination] = process.argv.slice(2);
const say = (event, data) => console.log(JSON.stringify({ event, data }));
const client = new Client({
  brokerURL: url,
  webSocketFactory: () => new WebSocket(url, ["v12.stomp", "v11.stomp", "v10.stomp"]),
  connectHeaders: { login: token },
  heartbeatIncoming: 0,
  heartbeatOutgoing: 4000,
  reconnectDelay: 0,
});
client.onConnect = (frame) => {
  say("connected", frame.headers);
  client.subscribe(destination, (message) => say("message", { headers: message.headers, body: JSON.parse(message.body) }),
    { receipt: "subscribed" });
};
client.onStompError = (frame) => say("error", frame.headers.message);
client.onWebSocketClose = (event) => say("close", event.code);
client.onUnhandledReceipt = (frame) => say("receipt", frame.headers["receipt-id"]);
client.activate();
