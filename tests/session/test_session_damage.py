"""Sessions are never lost: damaged transcripts still list, resume and show.

The fuzz test records real sessions (scripted models, real tools), then truncates and garbles
random lines of copies of them (fixed seeds), and checks that every entry on an intact line is
kept, that nothing crashes (list, show, resume) and that the resumed conversation is one the
Messages API accepts.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.models.function import FunctionModel
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession
from agentrun.session.store import FileSessionStore, list_sessions, rebuild_messages
from agentrun.session.transcript import count_turns, parse_transcript

SEEDS = range(60)


def read(path: str) -> dict[str, Any]:
    return {"name": "Read", "input": {"file_path": path}}


def script(turns: list[dict[str, Any]]) -> ScriptedModel:
    return ScriptedModel.from_data({"turns": turns})


def record(home: Path, ws: Path, prompts: int, seed: int) -> str:
    """One session of ``prompts`` exchanges, each with a few tool calls."""
    rng = random.Random(seed)
    turns: list[dict[str, Any]] = []
    for n in range(prompts):
        for _ in range(rng.randint(0, 2)):
            calls = [read("app.py"), {"name": "Glob", "input": {"pattern": "*.py"}}]
            turns.append({"text": f"looking {n}", "tool_calls": calls[: rng.randint(1, 2)]})
        turns.append({"text": f"answer {n} of session {seed}"})
    options: dict[str, Any] = {"cwd": str(ws), "sandbox": "read-only"}
    with AgentSession(model=script(turns), sessions_root=home, **options) as session:
        for n in range(prompts):
            assert session.send(f"prompt {n}").subtype == "success"
        return session.session_id


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("recorded")
    ws = tmp_path_factory.mktemp("ws")
    (ws / "app.py").write_text("def main():\n    return 1\n")
    with pytest.MonkeyPatch.context() as env:  # before the per-test private home exists
        env.setenv("HOME", str(home))
        env.setenv("AGENTRUN_HOME", str(home / "state"))
        for seed in range(6):
            record(home, ws, prompts=2 + seed % 3, seed=seed)
    return home, ws


def damage(data: bytes, rng: random.Random) -> tuple[bytes, set[int]]:
    """Truncate or garble a few random lines (maybe the last one, left without its newline);
    returns the new bytes and the numbers (1-based) of the lines damaged."""
    lines = data.split(b"\n")[:-1]
    hit = set(rng.sample(range(len(lines)), k=min(len(lines), rng.randint(1, 3))))
    for index in hit:
        line = lines[index]
        how = rng.choice(("truncate", "garble", "bytes", "empty-object"))
        if how == "truncate":
            lines[index] = line[: rng.randint(0, max(0, len(line) - 2))]
        elif how == "garble":
            at = rng.randrange(len(line))
            lines[index] = line[:at] + b"\x00}{]" + line[at + 1 :]
        elif how == "bytes":
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
            lines[index] = junk.replace(b"\n", b" ")  # one line stays one line
        else:
            lines[index] = b'{"type": "message", "message": {"role": "assistant"}}'
    out = b"\n".join(lines) + b"\n"
    if rng.random() < 0.3 and len(lines[-1]) > 1:  # a crash mid-write: the last line torn
        out = out[: -rng.randint(2, min(30, len(lines[-1])))]
        hit.add(len(lines) - 1)
    return out, {i + 1 for i in hit}


def valid_for_the_api(messages: list[dict[str, Any]]) -> None:
    assert messages[0]["role"] == "user"
    for before, after in itertools.pairwise(messages):
        assert before["role"] != after["role"]
    for index, message in enumerate(messages):
        blocks = message["content"] if isinstance(message["content"], list) else []
        uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        if message["role"] == "assistant":
            assert blocks or index == len(messages) - 1
            if uses:
                following = messages[index + 1]["content"]
                answered = [b["tool_use_id"] for b in following if b.get("type") == "tool_result"]
                assert answered[: len(uses)] == uses
        else:
            previous = messages[index - 1]["content"] if index else []
            asked = {b["id"] for b in previous if b.get("type") == "tool_use"}
            results = [b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"]
            assert set(results) <= asked


@pytest.mark.parametrize("seed", SEEDS)
def test_fuzz_damaged_sessions_keep_every_intact_entry(
    seed: int,
    recorded: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, ws = recorded
    rng = random.Random(seed)
    original = rng.choice(sorted(source.glob("*.jsonl")))
    home = tmp_path / "home"
    (home / "sessions").mkdir(parents=True)
    monkeypatch.setenv("AGENTRUN_HOME", str(home))
    path = home / "sessions" / original.name
    data = original.read_bytes()
    damaged, hit = damage(data, rng)
    path.write_bytes(damaged)
    intact = [
        json.loads(line)
        for number, line in enumerate(data.split(b"\n")[:-1], 1)
        if number not in hit
    ]

    entries = FileSessionStore(home / "sessions").load(path.stem)
    assert [e for e in entries if e in intact] == intact  # every intact line, in order
    assert all(e in intact or e in map(json.loads, data.split(b"\n")[:-1]) for e in entries)
    (info,) = list_sessions(home / "sessions")
    if info.problem is None:
        assert info.turns == count_turns(entries)
    valid_for_the_api(rebuild_messages(entries) or [{"role": "user", "content": "x"}])

    assert main(["sessions"]) == 0
    assert main(["sessions", "show", path.stem[:8]]) in (0, 2)
    capsys.readouterr()

    sent: list[Any] = []

    def answer(request: Any) -> str:
        sent.extend(request.messages)
        return "resumed fine"

    model = FunctionModel(answer)
    with AgentSession(model=model, cwd=str(ws), sandbox="read-only", resume=path.stem) as again:
        before = len(again.messages)
        result = again.send("go on")
    assert result.subtype == "success" and result.result == "resumed fine"
    valid_for_the_api(sent)
    assert len(again.messages) >= before + 1
    # the resumed run appended after the damage; the file reads back with every entry it had
    after = FileSessionStore(home / "sessions").load(path.stem)
    assert [e for e in after if e in intact] == intact
    assert after[-1]["type"] in ("message", "result")


def test_a_glued_entry_after_a_torn_line_is_recovered(tmp_path: Path) -> None:
    good = {"type": "message", "message": {"role": "user", "content": "hello"}}
    data = b'{"type":"message","mess' + json.dumps(good, separators=(",", ":")).encode() + b"\n"
    transcript = parse_transcript(data, "s.jsonl")
    assert transcript.entries == [good]
    assert transcript.problems == [
        "s.jsonl:1: skipped a torn entry and kept the whole one after it"
    ]


def test_listing_survives_damage_junk_and_unreadable_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    sessions = tmp_path / "sessions"
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path))
    store = FileSessionStore(sessions)
    store.append("good", {"type": "session", "cwd": "/w", "agent": "a"})
    store.append("good", {"type": "message", "message": {"role": "user", "content": "fix it"}})
    store.close()
    with (sessions / "good.jsonl").open("a") as f:
        f.write('{"type": "mess\n')  # torn, then --continue appended after it
        f.write('{"type":"message","message":{"role":"assistant","content":[]}}\n')
    (sessions / "junk.jsonl").write_text("hello\nworld\n")
    (sessions / "dir.jsonl").mkdir()
    os.mkfifo(sessions / "fifo.jsonl")  # must not hang the listing
    assert main(["sessions"]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(rows) == {"good", "junk", "dir", "fifo"}
    assert "fix it" in rows["good"] and "    1  " in rows["good"]
    assert rows["junk"].endswith("unreadable: no agentrun transcript in it")
    assert rows["dir"].endswith("unreadable: not a regular file") or "Is a directory" in rows["dir"]
    assert rows["fifo"].endswith("unreadable: not a regular file")
    assert (
        err
        == f"agentrun: warning: {sessions / 'good.jsonl'}:3: skipped a damaged line (not JSON)\n"
    )
