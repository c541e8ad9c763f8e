"""``agentrun sandbox status``: which layers a session's Bash jail enforces here, and why not."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from agentrun.core.vocab import SANDBOX_MODES
from agentrun.jail.policy import SandboxPolicy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("status",), default="status")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="workspace-write")
    parser.add_argument("--cwd", metavar="DIR", default=".", help="the workspace (default: .)")
    parser.add_argument("--add-dir", metavar="DIR", action="append", default=[])
    parser.add_argument("--allow-network", action="store_true")


def run(args: argparse.Namespace) -> int:
    """Start a real jail for the policy (the only honest answer), report, close it.

    Exit 0 when every layer the mode needs is in force, 1 when Bash would be refused.
    """
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.layers import required_layers
    from agentrun.jail.probe import LAYERS, probe_details

    policy = SandboxPolicy.create(
        Path(args.cwd), mode=args.sandbox, add_dirs=args.add_dir, allow_network=args.allow_network
    )
    required = required_layers(policy.mode, allow_network=policy.allow_network)
    details = probe_details(fresh=True)  # a diagnosis looks again (and refreshes the cache)
    enforced: tuple[str, ...] = ()
    missing: dict[str, str] = {}
    if policy.confined:
        with tempfile.TemporaryDirectory(prefix="agentrun-status-") as tmp:
            jail = JailSandbox(policy, tmp_dir=Path(tmp))
            jail.start()
            enforced, missing = jail.enforced, jail.missing
            jail.close()
    ok = all(layer in enforced for layer in required)
    layers = {}
    for layer in LAYERS:
        state = "enforced" if layer in enforced else "required" if layer in required else "off"
        why = missing.get(layer) or details[layer][1]
        if state != "enforced" and layer in required:
            state = "MISSING"
        layers[layer] = {"state": state, "detail": why}
    if args.json:
        print(
            json.dumps(
                {
                    "mode": policy.mode,
                    "ok": ok,
                    "enforced": list(enforced),
                    "required": list(required),
                    "layers": layers,
                },
                indent=2,
            )
        )
    else:
        print(f"sandbox mode: {policy.mode} ({'Bash allowed' if ok else 'Bash REFUSED'})")
        for layer, info in layers.items():
            print(f"  {layer:<16} {info['state']:<9} {info['detail']}")
        if not ok:
            print("Use --sandbox danger-full-access to run Bash unconfined (trusted VM only).")
    return 0 if ok else 1
