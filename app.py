"""Comanda's Lambda entry point: wiring only."""

import os
from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, WebsocketEvent

from chalicelib.api.surfaces import BLUEPRINTS
from chalicelib.container import get_services
from chalicelib.metrics import metrics_middleware
from chalicelib.observability import http_logging_middleware, tracing_middleware, tracing_wanted
from chalicelib.settings import get_settings, stream_sources

if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and os.environ.get("COMANDA_STAGE", "local") != "local":
    # A deployed container reads its secret once, here, and does not start without it.
    get_settings()

STREAMS = stream_sources(os.environ)

app = Chalice(app_name="comanda")
app.experimental_feature_flags.update(["WEBSOCKETS"])

app.register_middleware(http_logging_middleware, "http")
app.register_middleware(metrics_middleware, "all")
if tracing_wanted():
    app.register_middleware(tracing_middleware, "all")

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> dict[str, Any]:
    return get_services().sockets.connect(event.to_dict())


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> dict[str, Any]:
    return get_services().sockets.message(event.to_dict())


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    return get_services().sockets.disconnect(event.to_dict())


@app.on_dynamodb_record(stream_arn=STREAMS.connections, batch_size=100, starting_position="LATEST")
def connection_opened(event: DynamoDBEvent) -> dict[str, Any]:
    """A $connect handler cannot send to its own connection: protocols that speak first
    (Socket.IO's open packet) do it from here, once the connection row exists. Notices for
    one user (refused order commands) are rows of the same table and go out from here too."""
    services = get_services()
    services.sockets.greet(event.to_dict())
    return services.fanout.handle_notice_batch(event.to_dict())


# Socket.IO clients time out without server pings; pingInterval (SOCKETIO_PING_INTERVAL_MS) matches this rate.
@app.schedule(Rate(4, unit=Rate.MINUTES))
def socketio_heartbeat(event: CloudWatchEvent) -> dict[str, Any]:
    return {"pinged": get_services().socket_heartbeat()}


# STOMP connections must send CONNECT within STOMP_CONNECT_DEADLINE_SECONDS; this sweep closes
# the ones that did not, so on AWS one is closed between the deadline and the deadline plus a minute.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def stomp_connect_deadline(event: CloudWatchEvent) -> dict[str, Any]:
    return {"closed": get_services().stomp_connect_deadline()}


# Delivery orders nobody claimed DISPATCH_REOFFER_MINUTES after they were offered are offered again.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def dispatch_reoffer(event: CloudWatchEvent) -> dict[str, Any]:
    services = get_services()
    return {"reoffered": len(services.delivery_orders.reoffer_due(services.settings.dispatch_reoffer_minutes))}


# Sales with a delay between courses (minutos_entre_cursos) get their next held course fired.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def fire_due_courses(event: CloudWatchEvent) -> dict[str, Any]:
    return {"fired": len(get_services().sales.fire_due_courses())}


@app.on_dynamodb_record(stream_arn=STREAMS.transactions, batch_size=100, starting_position="LATEST")
def fan_out(event: DynamoDBEvent) -> dict[str, Any]:
    return get_services().fanout.handle_batch(event.to_dict())


# One shard of a big channel's fan-out, invoked asynchronously by fan_out (chalicelib/realtime/shards.py).
@app.lambda_function(name="send_frames")
def send_frames(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return get_services().send_frames(event)


@app.on_dynamodb_record(stream_arn=STREAMS.tenants, batch_size=100, starting_position="LATEST")
def venue_changed(event: DynamoDBEvent) -> dict[str, Any]:
    return get_services().fanout.handle_venue_batch(event.to_dict())


@app.on_dynamodb_record(stream_arn=STREAMS.catalog, batch_size=100, starting_position="LATEST")
def menu_changed(event: DynamoDBEvent) -> dict[str, Any]:
    return get_services().fanout.handle_menu_batch(event.to_dict())
