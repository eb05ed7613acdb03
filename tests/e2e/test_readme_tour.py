"""The README's 5-minute tour, run as written against the running stack (only the host and
port are changed), with a real WebSocket client in the role of the second terminal."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from websockets.sync.client import connect

from tests.e2e.harness import REPO, RunningStack
from tests.e2e.live import Frames, close_open_caja


def tour_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    tour = text.split("## A 5-minute tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", tour, re.S)


def run_bash(script: str, stack: RunningStack) -> str:
    script = script.replace("http://localhost:3000", stack.base_url).replace("ws://localhost:3000", stack.ws_url)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def json_documents(text: str) -> list[dict]:
    """curl -s prints bodies back to back; split them."""
    decoder, found, index = json.JSONDecoder(), [], 0
    while (start := text.find("{", index)) != -1:
        document, index = decoder.raw_decode(text, start)
        found.append(document)
    return found


def test_the_readme_tour_works_as_written(stack: RunningStack, tmp_path: Path) -> None:
    listen, cashier = tour_blocks()
    close_open_caja(stack.as_(stack.login("cajero1", "Cajero123!")))

    # Terminal 2: the login line as written; the interactive client is played by `websockets`.
    login_line, client_line = listen.strip().rsplit("\n", 1)
    assert "python -m websockets" in client_line
    token = run_bash(login_line + '\necho "$KTOKEN"', stack).strip()

    with connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) as ws:
        frames = Frames(ws)
        output = run_bash(cashier, stack)
        assert '"statusCode"' not in output, output  # no error body anywhere in the tour
        frames.next("nuevo-pedido")
        frames.next("pedido-completado")
        assert any(f["event"] == "pedidos-actualizados" for f in frames.seen)

    replies = json_documents(output)
    closed = replies[-1]
    assert closed["cerrada"] is True and closed["estado_diferencia"] in ("exacto", "sobrante", "faltante")
    assert any(r.get("cambio") for r in replies), "the cash payment answered with its change"


def test_the_readme_delivery_tour_works_as_written(stack: RunningStack) -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Delivery tour (GastroMovil)", 1)[1].split("\n## ", 1)[0]
    [script] = re.findall(r"```bash\n(.*?)```", section, re.S)
    close_open_caja(stack.as_(stack.login("cajero1", "Cajero123!")))
    output = run_bash(script, stack)
    assert '"statusCode"' not in output, output
    replies = json_documents(output)
    estados = [r["estado"] for r in replies if r.get("ok") is True and "estado" in r]
    assert estados == ["aceptado", "preparando", "disponible"], replies
    assert [r for r in replies if r == {"ok": True}] == [{"ok": True}] * 2  # claimed, delivered
    delivered = [r for r in replies if r.get("estado") == "entregado"]
    assert delivered and delivered[0]["direccion"] == "Av. Arce 2150, Sopocachi", replies
    assert replies[-1]["cerrada"] is True


def test_the_readme_kitchen_pacing_tour_works_as_written(stack: RunningStack) -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Kitchen pacing tour", 1)[1].split("\n## ", 1)[0]
    [script] = re.findall(r"```bash\n(.*?)```", section, re.S)
    output = run_bash(script, stack)
    documents = json_documents(output)
    feed = next(d for d in documents if d.get("success") is True)
    [order] = [o for o in feed["data"] if any(i["name"] == "Pique macho" for i in o["held_items"])]
    fired = next(d for d in documents if d.get("curso_marchado") == 2)
    assert fired["id"] == order["id"] and not any(i["held"] for i in fired["items"])
    assert any(d.get("rush") is True and d.get("id") == order["id"] for d in documents)
    assert any(d.get("agotado") is True and d.get("nombre") == "Pique macho" for d in documents)
    assert "Plato agotado: Pique macho" in output
    report = next(d for d in documents if "dias" in d)
    assert report["sucursal_id"] == "centro" and "fecha,estacion,tickets,items" in output
    stack.as_(stack.login("admin", "Admin123!")).call("DELETE", f"/api/platos/{fired['items'][-1]['plato_id']}")
