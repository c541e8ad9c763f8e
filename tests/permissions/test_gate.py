"""The permission gate: one decision per call, grants that never outrank deny or ask rules,
Bash redirections judged as writes, lines whose commands cannot be known, protected paths,
and settings a workspace may not raise."""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate, Rule
from agentrun.permissions.bashview import view_bash

SECRET = "s3cret-value-77ac"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "ws").mkdir()
    (tmp_path / "home").mkdir()
    return tmp_path / "ws"


def gate(ws: Path, mode: str | None = "default", **kw: object) -> Gate:
    kw.setdefault("writable_roots", [ws])
    return Gate.load(mode, cwd=ws, home=ws.parent / "home", **kw)  # type: ignore[arg-type]


def decide(g: Gate, tool: str, **tool_input: object) -> str:
    return g.decide(ToolCall("t", tool, dict(tool_input))).behavior


def bash(g: Gate, command: str) -> str:
    return decide(g, "Bash", command=command)


# -- finding 1: "always" never outranks a deny rule ----------------------------------------------
def test_always_grant_does_not_outrank_deny_or_ask(ws: Path) -> None:
    g = gate(ws, disallowed=["Write(./.env)"])
    asked = g.decide(ToolCall("1", "Write", {"file_path": "a.txt", "content": ""}))
    assert (asked.behavior, asked.grant) == ("ask", f"file edits in {ws}/")
    g.answer(ToolCall("1", "Write", {"file_path": "a.txt"}), always=True)
    assert decide(g, "Write", file_path="b.txt") == "allow"
    assert decide(g, "Write", file_path=".env") == "deny"
    assert decide(g, "Edit", file_path=".env") == "deny"
    assert decide(g, "Write", file_path="../outside.txt") == "deny"  # the sandbox refuses it


def test_bash_grant_is_the_exact_command_and_not_an_ask_rule(ws: Path) -> None:
    ws.joinpath(".claude").mkdir()
    ws.joinpath(".claude", "settings.json").write_text(
        json.dumps({"permissions": {"ask": ["Bash(git push:*)"]}})
    )
    g = gate(ws)
    g.answer(ToolCall("1", "Bash", {"command": "git push"}), always=True)  # asked by a rule
    assert g.remembered == []  # an ask rule's question has no "always"
    assert bash(g, "git push") == "ask"
    g.answer(ToolCall("2", "Bash", {"command": "pytest -q"}), always=True)
    assert g.remembered == ["Bash(pytest -q)"]
    assert (bash(g, "pytest -q"), bash(g, "pytest -q -x"), bash(g, "pytest -q; rm x")) == (
        "allow",
        "ask",
        "ask",
    )


# -- finding 3: redirections are writes ---------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        "ls > data.txt",
        "ls >> data.txt",
        "ls >| data.txt",
        "ls &> data.txt",
        "ls 2> data.txt",
        "ls <> data.txt",
        "ls >& data.txt",
        "ls > '[core]'",
        "ls > 'fsmonitor = id > X'",
        "ls -1 > ~/.gitconfig",
        'ls > "$HOME/x"',
        "git status > out; ls",
        "ls $(ls > data.txt)",
    ],
)
def test_redirections_need_what_a_write_needs(ws: Path, command: str) -> None:
    g = gate(ws, "dontAsk", allowed=["Bash(ls:*)", "Bash(git status:*)"])
    assert bash(g, command) == "deny"


def test_redirections_by_mode(ws: Path) -> None:
    rules = {"allowed": ["Bash(ls:*)"]}
    assert bash(gate(ws, "default", **rules), "ls > data.txt") == "ask"
    assert bash(gate(ws, "acceptEdits", **rules), "ls > data.txt") == "allow"
    assert bash(gate(ws, "acceptEdits", **rules), "ls > .git/config") == "ask"  # protected
    assert bash(gate(ws, "bypassPermissions"), "ls > .claude/settings.json") == "ask"
    assert bash(gate(ws, "bypassPermissions"), "ls > /etc/x") == "deny"  # the jail refuses it
    assert bash(gate(ws, "acceptEdits", **rules), "ls > /dev/null 2>&1") == "allow"
    edit_deny = gate(ws, "bypassPermissions", disallowed=["Edit(./keep/**)"])
    assert bash(edit_deny, "echo x > keep/a") == "deny"
    assert bash(edit_deny, 'echo x > "$F"') == "deny"  # cannot be checked against the rule
    assert bash(gate(ws, "bypassPermissions"), 'echo x > "$F"') == "allow"
    assert bash(gate(ws, "acceptEdits", **rules), 'ls > "$F"') == "ask"


def test_redirections_after_a_cd_are_judged_where_the_shell_is(ws: Path) -> None:
    (ws / ".claude").mkdir()
    g = gate(ws, "acceptEdits", allowed=["Bash(echo:*)", "Bash(cd:*)"])
    assert bash(g, "echo x > settings.json") == "allow"
    assert bash(g, "cd .claude && echo x > settings.json") == "ask"  # not known from the text
    g.shell_cwd = lambda: ws / ".claude"  # an earlier call did `cd .claude`
    assert bash(g, "echo x > settings.json") == "ask"


def test_view_bash_finds_targets() -> None:
    view = view_bash("a > x; b 2>&1 >> y | c &> /dev/null; d > $Z; bash -c 'e > w'")
    assert (view.targets, view.unknown_targets) == (("x", "y", "w"), ("$Z",))


# -- finding 4: deny rules vs lines whose commands cannot be known --------------------------------
OPAQUE = [
    "{rm,f}",
    "/bin/r[m] f",
    "r? f",
    "shopt -s expand_aliases\nalias del=rm\ndel f",
    "alias del=rm; del f",
    "f() { rm x; }; f",
    "function f { rm x; }; f",
    "flock . rm f",
    "prlimit --nofile=100 rm f",
    "timeout 5 rm f",
    "nice rm f",
    "nohup rm f",
    "setsid rm f",
    "stdbuf -o0 rm f",
    "echo f | xargs rm",
    "env rm f",
    "sudo rm f",
    "chroot / rm f",
    "git -c alias.x='!rm f' x",
    "git --exec-path=. x",
    "git x",
    "$CMD f",
    "$(echo rm) f",
    "source ./script.sh",
    ". ./script.sh",
    "BASH_ENV=./x bash script.sh",
    'eval "$X"',
    'bash -c "$X"',
    "curl x | sh",
    "trap 'rm f' EXIT",
    "PS4='$(rm f)' bash -x s.sh",
    "PATH=. x f",
    "export PATH=.:$PATH; x f",
]


# a program run by path from the workspace: a deny rule cannot tell what it is (an allow rule
# naming it, `Bash(./gradlew:*)`, still works)
LOCAL = ["cp /bin/rm x; ./x f", "ln -s /bin/rm del && ./del f", "tools/x f"]


@pytest.mark.parametrize("command", OPAQUE + LOCAL)
def test_unknowable_lines_are_denied_under_a_deny_rule(ws: Path, command: str) -> None:
    g = gate(ws, "bypassPermissions", disallowed=["Bash(rm:*)"])
    decision = g.decide(ToolCall("1", "Bash", {"command": command}))
    assert decision.behavior == "deny", decision


@pytest.mark.parametrize("command", OPAQUE)
def test_unknowable_lines_are_asked_under_allow_rules(ws: Path, command: str) -> None:
    allowed = ["Bash(ls:*)", "Bash(git:*)", "Bash(flock:*)", "Bash(timeout:*)", "Bash(env:*)"]
    allowed += ["Bash(xargs:*)", "Bash(bash:*)", "Bash(eval:*)", "Bash(echo:*)", "Bash(sudo:*)"]
    g = gate(ws, allowed=allowed)
    decision = g.decide(ToolCall("1", "Bash", {"command": command}))
    assert decision.behavior == "ask", decision
    assert decision.grant is None  # "always" for an unknowable line would be a blank cheque


@pytest.mark.parametrize(
    "command",
    ["ls -la", "git status", "git diff HEAD~1", "pytest -q", "bash -c 'ls'", "a=1 ls", "[ -f x ]"],
)
def test_known_lines_still_run_under_a_deny_rule(ws: Path, command: str) -> None:
    assert bash(gate(ws, "bypassPermissions", disallowed=["Bash(rm:*)"]), command) == "allow"


# -- protected paths ----------------------------------------------------------------------------
PROTECTED = [
    ".git/config",
    "sub/.git/hooks/pre-commit",
    ".gitmodules",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/agents/x.md",
    ".claude/commands/c.md",
    "pkg/.claude/skills/s/SKILL.md",
    ".agentrun/settings.json",
    ".mcp.json",
]


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize("mode", ["acceptEdits", "bypassPermissions", "dontAsk", "default"])
def test_protected_paths_are_never_auto_accepted(ws: Path, path: str, mode: str) -> None:
    g = gate(ws, mode, allowed=["Edit", "Write(**)"])
    decision = g.decide(ToolCall("1", "Write", {"file_path": path}))
    assert decision.behavior == ("deny" if mode == "dontAsk" else "ask")
    assert "protected path" in decision.reason and decision.grant is None


def test_an_allow_rule_naming_the_path_opens_it(ws: Path) -> None:
    g = gate(ws, "dontAsk", allowed=["Edit(./.claude/agents/**)"])
    assert decide(g, "Write", file_path=".claude/agents/x.md") == "allow"
    assert decide(g, "Write", file_path=".claude/settings.json") == "deny"


def test_protected_through_a_symlinked_directory(ws: Path) -> None:
    (ws / ".claude").mkdir()
    (ws / "cfg").symlink_to(".claude")
    g = gate(ws, "bypassPermissions")
    assert decide(g, "Write", file_path="cfg/settings.local.json") == "ask"


# -- finding 5: the workspace cannot raise the next session's rights -----------------------------
@pytest.mark.parametrize(
    "file", [".claude/settings.json", ".claude/settings.local.json", ".agentrun/settings.json"]
)
def test_workspace_settings_cannot_turn_on_bypass(ws: Path, file: str) -> None:
    (ws / file).parent.mkdir(exist_ok=True)
    (ws / file).write_text(json.dumps({"permissions": {"defaultMode": "bypassPermissions"}}))
    g = gate(ws, None)
    assert g.mode == "default" and "bypassPermissions ignored" in g.warnings[0]
    home = ws.parent / "home" / ".agentrun"
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"permissions": {"defaultMode": "plan"}}))
    (ws / file).write_text(json.dumps({"permissions": {"defaultMode": "acceptEdits"}}))
    assert gate(ws, None).mode == "acceptEdits"  # teams commit it: allowed


def test_user_settings_may_turn_on_bypass(ws: Path) -> None:
    home = ws.parent / "home" / ".agentrun"
    home.mkdir()
    (home / "settings.json").write_text(
        json.dumps({"permissions": {"defaultMode": "bypassPermissions"}})
    )
    assert gate(ws, None).mode == "bypassPermissions"


# -- finding 6: writes the sandbox refuses are not asked ------------------------------------------
def test_write_outside_the_write_roots_is_denied_not_asked(ws: Path, tmp_path: Path) -> None:
    g = gate(ws)
    d = g.decide(ToolCall("1", "Write", {"file_path": str(tmp_path / "elsewhere.txt")}))
    assert d.behavior == "deny" and "outside the writable directories" in d.reason
    ro = gate(ws, writable_roots=[])
    assert decide(ro, "Edit", file_path="a.py") == "deny"
    free = gate(ws, writable_roots=None)  # danger-full-access: asked, but no "always" outside
    d = free.decide(ToolCall("1", "Write", {"file_path": str(tmp_path / "elsewhere.txt")}))
    assert (d.behavior, d.grant) == ("ask", None)


# -- the decision on the real path ---------------------------------------------------------------
def test_check_resolved_refuses_a_swapped_link(ws: Path) -> None:
    (ws / "secrets").mkdir()
    (ws / "secrets" / "key").write_text("s3cret")
    (ws / "notes.txt").write_text("fine")
    g = gate(ws, disallowed=["Read(./secrets/**)"])
    assert decide(g, "Read", file_path="link") == "allow"  # the link does not exist yet
    refusal = g.check_resolved("Read", "read", (ws / "secrets" / "key").resolve())
    assert refusal is not None and "Read(./secrets/**)" in refusal
    assert g.check_resolved("Read", "read", (ws / "notes.txt").resolve()) is None


def test_check_resolved_honours_a_one_time_approval_once(ws: Path) -> None:
    g = gate(ws)
    call = ToolCall("1", "Write", {"file_path": "a.txt"})
    assert g.decide(call).behavior == "ask"
    target = (ws / "a.txt").resolve()
    assert g.check_resolved("Write", "write", target) is not None  # not approved yet
    g.answer(call, always=False)
    assert g.check_resolved("Write", "write", target) is None
    assert g.check_resolved("Write", "write", target) is not None  # once means once


# -- the property: no call runs that a deny rule matches ----------------------------------------
_TOOLS = ["Read", "Write", "Edit", "Glob", "Grep", "Bash"]
_PATHS = ["a.txt", "src/x.py", ".env", "secrets/k", "../out", ".claude/s.json", "src", "."]
_COMMANDS = [
    "ls", "ls -la", "rm f", "rm -rf src", "git status", "git push", "cat .env", "ls > a.txt",
    "echo x >> src/x.py", "{rm,f}", "timeout 5 rm f", "ls; rm f", "bash -c 'rm f'", "r[m] f",
    "git diff | wc -l", "npm test", "$X f", "echo $(rm f)", "cat x > .env", "ls >> secrets/k",
    "echo > src/x.py", "ls 2> .claude/s.json",
]  # fmt: skip
_BASH_SPECS = ["ls:*", "rm:*", "git:*", "git push:*", "cat:*", "echo:*", "npm test", "*"]


def _random_rule(rng: random.Random) -> str:
    tool = rng.choice(_TOOLS)
    if rng.random() < 0.15:
        return tool
    if tool == "Bash":
        return f"Bash({rng.choice(_BASH_SPECS)})"
    return f"{tool}({rng.choice(['./', '', '**/'])}{rng.choice(_PATHS)})"


def _random_call(rng: random.Random) -> ToolCall:
    tool = rng.choice(_TOOLS)
    if tool == "Bash":
        return ToolCall("c", tool, {"command": rng.choice(_COMMANDS)})
    key = "path" if tool in ("Glob", "Grep") else "file_path"
    return ToolCall("c", tool, {key: rng.choice(_PATHS)})


def _deny_matches(g: Gate, rule: Rule, call: ToolCall) -> bool:
    if call.name == "Bash":
        view = view_bash(call.input["command"])
        if rule.tool == "Bash" and rule.spec is not None and view.unknown is not None:
            return True
        if rule.tool in ("Write", "Edit"):  # a redirection writes its target
            return any(
                rule.matches("Write", {"file_path": t}, cwd=g.cwd, home=g.home, any_part=True)
                for t in view.targets
            )
    return rule.matches(call.name, call.input, cwd=g.cwd, home=g.home, any_part=True)


@pytest.mark.parametrize("seed", range(40))
def test_property_no_call_runs_that_a_deny_rule_matches(ws: Path, seed: int) -> None:
    rng = random.Random(seed)
    (ws / "src").mkdir()
    (ws / "secrets").mkdir()
    for _ in range(20):
        deny = [_random_rule(rng) for _ in range(rng.randint(1, 3))]
        ask = [_random_rule(rng) for _ in range(rng.randint(0, 2))]
        g = gate(
            ws,
            rng.choice(["default", "acceptEdits", "dontAsk", "bypassPermissions", "plan"]),
            allowed=[_random_rule(rng) for _ in range(rng.randint(0, 4))],
            disallowed=deny,
        )
        g.ask = [Rule.parse(r) for r in ask]
        for _ in range(rng.randint(0, 4)):  # "always" answers to whatever was asked
            g.answer(_random_call(rng), always=True)
        for _ in range(30):
            call = _random_call(rng)
            decision = g.decide(call)
            if any(_deny_matches(g, Rule.parse(r), call) for r in deny):
                assert decision.behavior == "deny", (deny, call, decision)
            if g.mode != "bypassPermissions" and any(
                Rule.parse(r).matches(call.name, call.input, cwd=g.cwd, home=g.home, any_part=True)
                for r in ask
            ):
                assert decision.behavior != "allow", (ask, call, decision)


# -- the gate is the only place that decides -----------------------------------------------------
_GATE_NAMES = ("mode", "remembered", "check", "decide", "answer", "allow_always", "warnings")


def test_nothing_outside_the_permissions_package_decides() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "agentrun"
    internals = ("rules", "bashrun", "bashview", "shellparse", "protected", "gate", "settings")
    internals += ("decision",)
    offenders: list[str] = []
    for file in src.rglob("*.py"):
        if "permissions" in file.relative_to(src).parts:
            continue
        tree = ast.parse(file.read_text(), str(file))
        for node in ast.walk(tree):
            where = f"{file.relative_to(src)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                if any(node.module == f"agentrun.permissions.{m}" for m in internals):
                    offenders.append(f"{where} imports {node.module}")
                names = {a.name for a in node.names}
                if node.module == "agentrun.permissions" and names & {"Rule", "Decision"}:
                    offenders.append(f"{where} imports {names & {'Rule', 'Decision'}}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("matches", "allow_always", "check")
            ):
                offenders.append(f"{where} calls .{node.func.attr}()")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and any(isinstance(a, ast.Constant) and a.value in _GATE_NAMES for a in node.args)
            ):
                offenders.append(f"{where} reaches into the gate with getattr")
    assert offenders == []


# -- the file tools ask the gate again on what they opened ----------------------------------------
def _tool_context(g: Gate, ws: Path) -> object:
    from agentrun.jail.paths import Workspace
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.tools.base import ToolContext
    from agentrun.tools.records import ReadRecords

    return ToolContext(
        workspace=Workspace(SandboxPolicy.create(ws)),
        reads=ReadRecords(),
        strict=True,
        search_filter=g.search_filter,
        check_resolved=g.check_resolved,
    )


@pytest.mark.parametrize("tool", ["Read", "Grep"])
def test_a_link_swapped_after_the_decision_is_refused_by_the_tool(ws: Path, tool: str) -> None:
    from agentrun.tools.grep import GrepTool
    from agentrun.tools.read import ReadTool

    (ws / "secrets").mkdir()
    (ws / "secrets" / "key").write_text(SECRET)
    (ws / "notes.txt").write_text("fine")
    (ws / "link").symlink_to("notes.txt")
    g = gate(ws, disallowed=["Read(./secrets/**)"])
    args: dict[str, object] = {"file_path": "link"}
    if tool == "Grep":
        args = {"pattern": ".", "path": "link", "output_mode": "content"}
    call = ToolCall("1", tool, args)
    assert g.decide(call).behavior == "allow"
    # what an earlier call, or a background job, does between the decision and the open
    (ws / "link").unlink()
    (ws / "link").symlink_to("secrets/key")
    runner = ReadTool() if tool == "Read" else GrepTool()
    result = runner.run(call.input, _tool_context(g, ws))  # type: ignore[arg-type]
    assert result.is_error and SECRET not in str(result.content)
    assert "Read(./secrets/**)" in str(result.content)


def test_a_directory_link_swapped_after_the_decision_cannot_lead_a_write(ws: Path) -> None:
    from agentrun.tools.write import WriteTool

    (ws / ".claude").mkdir()
    (ws / "out").mkdir()
    (ws / "cfg").symlink_to("out")
    g = gate(ws, "acceptEdits", disallowed=["Edit(./.claude/**)"])
    call = ToolCall("1", "Write", {"file_path": "cfg/settings.local.json", "content": "{}"})
    assert g.decide(call).behavior == "allow"
    (ws / "cfg").unlink()
    (ws / "cfg").symlink_to(".claude")
    result = WriteTool().run(call.input, _tool_context(g, ws))  # type: ignore[arg-type]
    assert result.is_error and not (ws / ".claude" / "settings.local.json").exists()


# -- NotebookEdit, BashOutput, KillShell -----------------------------------------------------------
@pytest.mark.parametrize("mode", ["default", "acceptEdits", "plan", "dontAsk"])
def test_job_tools_are_allowed_in_every_mode(ws: Path, mode: str) -> None:
    g = gate(ws, mode)
    # BashOutput only reads a job's log; KillShell only stops a job this session's Bash started.
    assert decide(g, "BashOutput", bash_id="bash_1") == "allow"
    assert decide(g, "KillShell", shell_id="bash_1") == "allow"
    assert decide(g, "KillBash", shell_id="bash_1") == "allow"


def test_a_rule_for_killshell_covers_its_old_name_and_back(ws: Path) -> None:
    g = gate(ws, disallowed=["KillShell"])
    assert decide(g, "KillBash", shell_id="bash_1") == "deny"
    g = gate(ws, disallowed=["KillBash", "BashOutput"])
    assert decide(g, "KillShell", shell_id="bash_1") == "deny"
    assert decide(g, "BashOutput", bash_id="bash_1") == "deny"


def test_notebookedit_is_an_edit_tool_on_its_notebook_path(ws: Path) -> None:
    nb = {"notebook_path": "a.ipynb", "new_source": "x"}
    assert decide(gate(ws), "NotebookEdit", **nb) == "ask"
    assert decide(gate(ws, "acceptEdits"), "NotebookEdit", **nb) == "allow"
    assert decide(gate(ws, "plan"), "NotebookEdit", **nb) == "deny"
    outside = {"notebook_path": "../a.ipynb", "new_source": "x"}
    assert decide(gate(ws, "acceptEdits"), "NotebookEdit", **outside) == "deny"
    protected = {"notebook_path": ".claude/a.ipynb", "new_source": "x"}
    assert decide(gate(ws, "acceptEdits"), "NotebookEdit", **protected) == "ask"
    assert decide(gate(ws, "bypassPermissions"), "NotebookEdit", **protected) == "ask"
    g = gate(ws, "acceptEdits", disallowed=["Edit(*.ipynb)"])
    assert decide(g, "NotebookEdit", **nb) == "deny"
    g = gate(ws, allowed=["Edit(./a.ipynb)"])
    assert decide(g, "NotebookEdit", **nb) == "allow"
    # The real path a tool opened is judged under the same key.
    g = gate(ws, "acceptEdits", disallowed=["Edit(*.ipynb)"])
    assert g.check_resolved("NotebookEdit", "write", ws / "b.ipynb") is not None
    assert gate(ws, "acceptEdits").check_resolved("NotebookEdit", "write", ws / "b.ipynb") is None


@pytest.mark.parametrize(
    ("tool", "value"),
    [("Bash", 'echo "a),Bash,Read(b"'), ("Edit", "d),Bash,Edit(e/f.txt")],
)
def test_a_grant_that_would_read_back_as_other_rules_is_not_remembered(
    tmp_path: Path, tool: str, value: str
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    g = gate(ws)
    call = ToolCall("1", tool, {"command": value} if tool == "Bash" else {"file_path": value})
    g.answer(call, always=True)
    assert g.check(call.name, call.input).behavior == "allow"  # this session: granted
    assert g.remembered == []
    # what is remembered reads back as itself
    g.answer(ToolCall("2", "Bash", {"command": "git status"}), always=True)
    assert g.remembered == ["Bash(git status)"]
    assert gate(ws, allowed=g.remembered).check("Bash", {"command": "ls"}).behavior == "ask"


def test_memory_dirs_are_exact_directories_never_rule_text(tmp_path: Path) -> None:
    ws = tmp_path / "a),Bash,Edit(b"
    memory = ws / ".claude" / "agent-memory" / "m"
    memory.mkdir(parents=True)
    g = gate(ws, "dontAsk", memory_dirs=[memory])
    assert g.check("Write", {"file_path": f"{memory}/x.md"}).behavior == "allow"
    assert g.check("Write", {"file_path": f"{ws}/.claude/settings.json"}).behavior == "deny"
    assert g.check("Bash", {"command": "ls"}).behavior == "deny"
    assert g.writable_protected_paths() == [memory]
