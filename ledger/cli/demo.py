"""`saksi demo`: everything on the embedded defaults, with realistic Indonesian service data."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.checker.client import AgencyClient, CaseState
from ledger.cli import demo_witnesses
from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, err_console
from ledger.cli.demo_live import LIVE_AGENCY, LIVE_STEP_S, BackgroundAgency, first_step, live_case_ref
from ledger.config import Settings
from ledger.core.commitment import parse_access_code
from ledger.demo import AGENCIES, COMPLAINTS_DESK, generate
from ledger.errors import SaksiError
from ledger.keys import read_keystore, write_keystore
from ledger.runtime import (
    Runtime,
    agency_keystore,
    anchor_everything,
    build_runtime,
    init_data_dir,
    log_signer,
    wall_clock_ms,
)

# DEMO ONLY: the keystores `saksi demo` creates are encrypted with this unless SAKSI_PASSWORD is set.
DEMO_PASSWORD = "saksi-demo-only"
RECEIPTS_FILE = "demo-receipts.json"


def _demo_key(seed: int, label: str) -> bytes:
    """DEMO KEY: derived from the seed, so a demo is reproducible; never use for real events."""
    return hashlib.sha256(f"saksi demo {seed} {label}".encode()).digest()


def _ensure_agencies(runtime: Runtime, secret: str, seed: int) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    mirror = runtime.mirror
    mirror.sync()
    with runtime.store.read() as reader:
        known = {a["code"] for a in reader.agencies()}
    for agency in AGENCIES:
        path = agency_keystore(runtime.settings, agency.code)
        if path.exists():
            keys[agency.code] = read_keystore(path, secret)
        else:
            keys[agency.code] = _demo_key(seed, agency.code)
            write_keystore(path, keys[agency.code], secret, demo=True)
        if agency.code not in known:
            from ledger.core.signatures import address_of_key

            runtime.chain.register_agency(agency.code, address_of_key(keys[agency.code]))
    mirror.sync()
    with runtime.store.write() as tx:
        for agency in AGENCIES:
            tx.set_agency_name(agency.code, agency.name)
    return keys


def _populate(runtime: Runtime, keys: dict[str, bytes], seed: int, cases_per_office: int) -> list[dict[str, Any]]:
    ledger = runtime.ledger
    now_s = ledger.clock_ms() // 1000
    cases = generate(seed, now_s, cases_per_office)
    clients = {code: AgencyClient("", code, key, domain=ledger.domain) for code, key in keys.items()}
    states: dict[str, CaseState] = {}
    items: list[dict[str, Any]] = []
    for case in cases:
        state = CaseState(case.ref, _demo_key(seed, "case " + case.ref))
        states[case.ref] = state
        for step in case.steps:
            items.append(
                clients[case.agency.code].build(
                    state,
                    step.event_type,
                    step.summary,
                    occurred_at=step.occurred_at,
                    payload=step.payload,
                    salt=_demo_key(seed, f"salt {case.ref} {state.seq}")[:16] if step.payload else None,
                )
            )
    for start in range(0, len(items), 500):
        for outcome in ledger.submit(items[start : start + 500]):
            if isinstance(outcome, SaksiError):
                raise outcome
    receipts: list[dict[str, Any]] = []
    complaint_receipts: dict[str, dict[str, Any]] = {}
    for case in cases:
        if case.complaint is None or not case.steps:
            continue
        category, message, answered = case.complaint
        state = states[case.ref]
        filed = ledger.file_complaint(case.ref, state.access_code, category, message)
        complaint_receipts[case.ref] = filed
        if answered:
            complaint = CaseState(
                filed["caseRef"],
                parse_access_code(filed["accessCode"]),
                1,
                bytes.fromhex(filed["receipt"]["caseHead"]["headHash"][2:]),
            )
            client = clients[case.agency.code]
            answer = client.build(complaint, "complaint.answered", "Pengaduan ditindaklanjuti oleh kantor layanan")
            resolve = client.build(complaint, "complaint.resolved", "Pengaduan selesai ditangani")
            for outcome in ledger.submit([answer, resolve]):
                if isinstance(outcome, SaksiError):
                    raise outcome
    # three receipts worth opening: a finished KTP, a SIM still in progress, a case with a complaint
    finished = next(
        c for c in cases if c.agency.service == "ktp" and c.steps and c.steps[-1].event_type == "document.issued"
    )
    ongoing = next(
        c for c in cases if c.agency.service == "sim" and c.steps and c.steps[-1].event_type != "document.issued"
    )
    complained = next(c for c in cases if c.ref in complaint_receipts)
    # the complaint is a case of its own (the next receipt): the case it concerns shows none of it
    cases_shown = (("KTP-el selesai", finished), ("SIM dalam proses", ongoing), ("perkara yang diadukan", complained))
    for label, case in cases_shown:
        receipts.append(
            {
                "label": label,
                "agency": case.agency.name,
                "caseRef": case.ref,
                "accessCode": states[case.ref].access_code,
            }
        )
    filed = complaint_receipts[complained.ref]
    receipts.append(
        {
            "label": "pengaduan atas perkara di atas",
            "agency": "Layanan Pengaduan",
            "caseRef": filed["caseRef"],
            "accessCode": filed["accessCode"],
        }
    )
    return receipts


@app.command()
def demo(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8080,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Prepare the data and print receipts, then exit.")
    ] = False,
    cases_per_office: Annotated[int, typer.Option(min=5, max=2000, help="Cases per office.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the demo data.")] = 2026,
    live_every: Annotated[
        float,
        typer.Option(min=0, help="Seconds between the live case's steps, added while serving (0: no live case)."),
    ] = LIVE_STEP_S,
    json_out: JsonFlag = False,
) -> None:
    """Start Saksi on the embedded defaults with demo agencies and cases, print citizen receipts, and serve."""
    secret = os.environ.get("SAKSI_PASSWORD") or DEMO_PASSWORD
    data_dir = Path(data_dir)
    if not no_serve:
        from ledger.cli.serve import ensure_port_free

        ensure_port_free(host, port)  # before receipts that would point at someone else's server
    if not (data_dir / "config.json").exists():
        err_console.print(f"initialising {data_dir} (embedded chain, SQLite; DEMO keys)")
        settings = init_data_dir(data_dir, secret, demo=True)
        settings.with_(complaints_agency=COMPLAINTS_DESK, anchor_every_seconds=10.0, anchor_every_leaves=200).save()
    settings = Settings.load(data_dir)
    # three DEMO witnesses, each its own process, key and data directory, and their 2-of-3 policy
    settings = demo_witnesses.prepare(settings, log_signer(settings, secret).vkey, secret, host, port)
    with demo_witnesses.Witnesses(settings, secret, host, port):
        _run(data_dir, secret, seed, cases_per_office, host, port, no_serve, json_out, live_every)


def _run(
    data_dir: Path,
    secret: str,
    seed: int,
    cases_per_office: int,
    host: str,
    port: int,
    no_serve: bool,
    json_out: bool,
    live_every: float = LIVE_STEP_S,
) -> None:
    settings = Settings.load(data_dir)
    receipts_path = data_dir / RECEIPTS_FILE
    runtime = build_runtime(settings, secret, wall_clock_ms)
    try:
        keys = _ensure_agencies(runtime, secret, seed)
        if not receipts_path.exists():
            runtime.close()
            runtime = build_runtime(Settings.load(data_dir), secret, wall_clock_ms)  # now with the complaints desk key
            err_console.print("submitting demo cases …")
            receipts = _populate(runtime, keys, seed, cases_per_office)
            receipts_path.write_text(json.dumps(receipts, indent=2, ensure_ascii=False) + "\n")
        receipts = json.loads(receipts_path.read_text())
        live = None if no_serve or not live_every else _open_live_case(runtime, keys, seed)
        if live is not None:
            receipts.append(
                {
                    "label": f"paspor, diikuti langsung: langkah baru tiap {live_every:g} detik / followed live",
                    "agency": next(a.name for a in AGENCIES if a.code == LIVE_AGENCY),
                    "caseRef": live.ref,
                    "accessCode": live.access_code,
                }
            )
        # the witnesses cosign the tree first, then it is anchored: the checkpoint citizens see is both
        witnessed = witness_now(runtime)
        anchor_everything(runtime)
        from api.render import log_status  # the JSON /v1/stats shows as "anchoring"

        status = log_status(runtime.ledger.status()).model_dump()
        proofs = {r["caseRef"]: _receipt_proof(runtime, r) for r in receipts}
    except BaseException:
        runtime.close()
        raise
    base = f"http://{host}:{port}"
    for receipt in receipts:
        receipt["url"] = f"{base}/#ref={receipt['caseRef']}&code={receipt['accessCode']}"
        proof = proofs.get(receipt["caseRef"])
        # the link a printed receipt's QR code carries: with the step's proof, checkable with no network
        receipt["offlineUrl"] = None if proof is None else f"{receipt['url']}&proof={proof}"
    if json_out:
        console.print_json(data={"receipts": receipts, "status": status, "witnessedBy": witnessed, "api": base})
    else:
        console.print(
            f"[bold]Saksi demo[/bold]: {status['treeSize']} events, {status['anchoredSize']} anchored on chain {settings.chain_id} (contract {settings.contract})"
        )
        if witnessed:
            console.print(f"disaksikan oleh / witnessed by: {', '.join(witnessed)}")
        else:
            console.print("[yellow]no demo witness has cosigned yet[/yellow] (see demo-witnesses/*/serve.log)")
        for receipt in receipts:
            console.print(f"\n[bold]{receipt['label']}[/bold] — {receipt['agency']}")
            console.print(f"  nomor perkara / case ref : {receipt['caseRef']}")
            console.print(f"  kode akses / access code : {receipt['accessCode']}", soft_wrap=True)
            console.print(f"  {receipt['url']}", soft_wrap=True)
            if receipt["offlineUrl"]:
                console.print(
                    f"  tanda terima dengan bukti (QR, tanpa internet) / self-proving receipt: {receipt['offlineUrl']}",
                    soft_wrap=True,
                )
        console.print(f"\ncitizen page {base}/   auditor dashboard {base}/audit   API {base}/docs")
    if no_serve:
        runtime.close()
        return
    from ledger.cli.serve import serve_runtime

    runtime.close()  # reopened the way `saksi serve` runs
    serving = build_runtime(Settings.load(data_dir), secret, wall_clock_ms, serving=True)
    agency = None
    if live is not None:  # the passport office adds the live case's next steps while the demo serves
        agency = BackgroundAgency(f"http://{host}:{port}", keys[LIVE_AGENCY], serving.ledger.domain, live, live_every)
        agency.start()
    try:
        serve_runtime(serving, host, port)
    finally:
        if agency is not None:
            agency.stop.set()


def _receipt_proof(runtime: Runtime, receipt: dict[str, Any]) -> str | None:
    """The self-proving receipt (FORMATS 16.6) of the case's newest covered step, or None before one."""
    from ledger.core.commitment import case_commitment
    from ledger.errors import NotFound

    commitment = case_commitment(parse_access_code(receipt["accessCode"]), receipt["caseRef"])
    try:
        return runtime.ledger.case_receipt(commitment).encode()
    except NotFound:
        return None


def _open_live_case(runtime: Runtime, keys: dict[str, bytes], seed: int) -> CaseState:
    """A new passport case for this run, its first step appended (the background agency adds the rest)."""
    ref = live_case_ref(runtime.ledger.clock_ms() // 1000)
    case = CaseState(ref, _demo_key(seed, "case " + ref))
    client = AgencyClient("", LIVE_AGENCY, keys[LIVE_AGENCY], domain=runtime.ledger.domain)
    for outcome in runtime.ledger.submit([first_step(client, case)]):
        if isinstance(outcome, SaksiError):
            raise outcome
    return case


def witness_now(runtime: Runtime, timeout_s: float = 30.0) -> list[str]:
    """Checkpoint the tree and collect the witnesses' cosignatures until the quorum meets (or the time
    runs out); the display names of those who cosigned."""
    worker = runtime.witnesses
    if worker is None:
        return []
    deadline = time.monotonic() + timeout_s
    while True:
        result = worker.tick()
        with runtime.store.read() as reader:
            size = reader.tree_size()
        if (result.witnessed and result.tree_size == size) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if result.tree_size is None:
        return []
    view = runtime.ledger.checkpoint(result.tree_size)
    return [] if view.witnessing is None else [c.display_name for c in view.witnessing.cosigned_by]
