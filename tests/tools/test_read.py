"""Read: numbered lines, limits, notes, errors, images, encodings, and the records it leaves."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from toolkit import make_ctx

from agentrun.core.types import ToolResult
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecord, ReadRecords

READ = ReadTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, strict=True)


def read(ctx: ToolContext, path: str | Path, **kw: object) -> ToolResult:
    return READ.run({"file_path": str(path), **kw}, ctx)


def numbered(lines: list[str], start: int = 1) -> str:
    return "\n".join(f"{n:>6}\t{t}" for n, t in enumerate(lines, start))


def test_schema_and_flags_are_claude_codes() -> None:
    assert READ.name == "Read"
    assert READ.read_only is True
    assert READ.input_schema["required"] == ["file_path"]
    assert READ.input_schema["additionalProperties"] is False
    assert {k: v["type"] for k, v in READ.input_schema["properties"].items()} == {
        "file_path": "string",
        "offset": "number",
        "limit": "number",
    }


def test_whole_file_numbered(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\n\n\tdef f():  \n        pass\n")
    result = read(ctx, tmp_path / "a.py")
    assert result == ToolResult(
        "     1\timport os\n     2\t\n     3\t\tdef f():  \n     4\t        pass"
    )


def test_no_trailing_newline_keeps_last_line(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a").write_text("one\ntwo")
    assert read(ctx, "a").content == numbered(["one", "two"])


@pytest.mark.parametrize(
    ("offset", "limit", "first", "count"),
    [(1, 3, 1, 3), (5, 2, 5, 2), (0, 2, 1, 2), (-3, 1, 1, 1), (9, 50, 9, 2)],
    ids=["head", "middle", "offset-zero", "negative-offset", "tail"],
)
def test_offset_and_limit(
    ctx: ToolContext, tmp_path: Path, offset: int, limit: int, first: int, count: int
) -> None:
    lines = [f"line {i}" for i in range(1, 11)]
    (tmp_path / "f").write_text("\n".join(lines) + "\n")
    result = read(ctx, "f", offset=offset, limit=limit)
    assert result.content == numbered(lines[first - 1 : first - 1 + count], first)


def test_default_limit_is_2000_lines_with_a_continuation_note(
    ctx: ToolContext, tmp_path: Path
) -> None:
    (tmp_path / "big").write_text("".join(f"{i}\n" for i in range(1, 2501)))
    text = read(ctx, "big").text()
    body, note = text.split("\n\n")
    assert body.splitlines()[-1] == "  2000\t2000"
    assert len(body.splitlines()) == 2000
    assert note == "(The file has more lines. Continue with offset=2001.)"
    rec = ctx.reads.get(tmp_path / "big")
    assert rec is not None and rec.whole is False


def test_long_lines_are_cut_and_marked(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "min.js").write_text("x" * 2500 + "\nshort\n")
    lines = read(ctx, "min.js").text().splitlines()
    assert lines[0] == "     1\t" + "x" * 2000 + "… [line cut: 2,500 characters]"
    assert lines[1] == "     2\tshort"


def test_whole_read_over_256kb_is_refused_with_advice(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "huge.log").write_text("y" * 99 + "\n" * 1 + ("z" * 99 + "\n") * 3000)
    result = read(ctx, "huge.log")
    assert result == ToolResult(
        f"{tmp_path / 'huge.log'} is 293 KB, over the 256 KB limit for reading a whole file. "
        "Read a part with offset and limit, or search it with Grep.",
        is_error=True,
    )
    assert ctx.reads.get(tmp_path / "huge.log") is None


def test_part_of_a_big_file_can_be_read(ctx: ToolContext, tmp_path: Path) -> None:
    with (tmp_path / "big.log").open("w") as f:
        for i in range(1, 200_001):
            f.write(f"entry {i}\n")
    assert read(ctx, "big.log", offset=150_000, limit=2).content == numbered(
        ["entry 150000", "entry 150001"], 150_000
    )
    rec = ctx.reads.get(tmp_path / "big.log")
    assert rec is not None and rec.whole is False


def test_output_over_25k_tokens_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "wide").write_text(("w" * 1500 + "\n") * 120)  # ~180 KB, ~45k tokens
    result = read(ctx, "wide")
    assert result.is_error
    assert "over the 25,000 limit" in result.text()
    assert read(ctx, "wide", offset=1, limit=10).is_error is False


def test_empty_file_note_and_record(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("")
    assert read(ctx, "empty") == ToolResult(f"The file {tmp_path / 'empty'} exists but is empty.")
    assert ctx.reads.get(tmp_path / "empty") == ReadRecord(
        tmp_path / "empty", (tmp_path / "empty").stat().st_mtime_ns, 0, True
    )


def test_offset_past_the_end_gives_the_line_count(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "short").write_text("a\nb\nc\n")
    assert read(ctx, "short", offset=10) == ToolResult(
        f"The file {tmp_path / 'short'} has 3 lines; offset 10 is past its end. "
        "Use a smaller offset."
    )


def test_missing_file_suggests_similar_names(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("")
    assert read(ctx, tmp_path / "setings.py") == ToolResult(
        f"File does not exist: {tmp_path / 'setings.py'}. Did you mean {tmp_path / 'settings.py'}?",
        is_error=True,
    )
    assert read(ctx, "nothing/like/it.txt") == ToolResult(
        f"File does not exist: {tmp_path / 'nothing/like/it.txt'} "
        f"(Relative paths are taken from {tmp_path}.)",
        is_error=True,
    )


def test_directory_is_an_error(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    assert read(ctx, "src") == ToolResult(
        f"{tmp_path / 'src'} is a directory, not a file; use Glob to list its files.",
        is_error=True,
    )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
IMAGES = {
    "png": (PNG, "image/png"),
    "jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(30), "image/jpeg"),
    "gif": (b"GIF89a" + bytes(30), "image/gif"),
    "webp": (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(30), "image/webp"),
}


@pytest.mark.parametrize("ext", sorted(IMAGES))
def test_images_come_back_as_image_blocks(ctx: ToolContext, tmp_path: Path, ext: str) -> None:
    data, media = IMAGES[ext]
    (tmp_path / f"pic.{ext}").write_bytes(data)
    result = read(ctx, f"pic.{ext}")
    assert result == ToolResult(
        [
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": media,
                    "data": base64.b64encode(data).decode(),
                },
            }
        ]
    )
    rec = ctx.reads.get(tmp_path / f"pic.{ext}")
    assert rec is not None and rec.whole


def test_image_type_is_sniffed_not_taken_from_the_name(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "logo.dat").write_bytes(PNG)
    result = read(ctx, "logo.dat")
    assert isinstance(result.content, list)
    assert result.content[0]["source"]["media_type"] == "image/png"


def test_images_over_5mb_are_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(PNG + bytes(6 * 1024 * 1024))
    result = read(ctx, "big.png")
    assert result.is_error
    assert "over the 5 MB limit for images" in result.text()


@pytest.mark.parametrize(
    "data",
    [b"ELF\x00\x01\x02" + bytes(100), bytes(range(1, 32)) * 20],
    ids=["nul-bytes", "control-chars"],
)
def test_binary_files_are_refused(ctx: ToolContext, tmp_path: Path, data: bytes) -> None:
    (tmp_path / "blob").write_bytes(data)
    result = read(ctx, "blob")
    assert result == ToolResult(
        f"Cannot read {tmp_path / 'blob'}: it is a binary file ({len(data):,} bytes), not "
        "text. Use Bash (e.g. `file`, `xxd | head`) to inspect it.",
        is_error=True,
    )


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ("héllo\nwörld\n".encode(), ["héllo", "wörld"]),
        (b"\xef\xbb\xbfbom\nfile\n", ["bom", "file"]),
        ("\ufeffutf16le\nzwei\n".encode("utf-16-le"), ["utf16le", "zwei"]),
        ("\ufeffutf16be\r\nzwei\r\n".encode("utf-16-be"), ["utf16be", "zwei"]),
        (b"caf\xe9\nna\xefve\n", ["café", "naïve"]),
        (b"crlf\r\nlines\r\n", ["crlf", "lines"]),
    ],
    ids=["utf8", "utf8-bom", "utf16le", "utf16be-crlf", "latin1", "crlf"],
)
def test_encodings_and_line_endings(
    ctx: ToolContext, tmp_path: Path, data: bytes, lines: list[str]
) -> None:
    (tmp_path / "t.txt").write_bytes(data)
    assert read(ctx, "t.txt") == ToolResult(numbered(lines))


def test_records_real_path_mtime_size_and_wholeness(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("1\n2\n3\n")
    (tmp_path / "alias.txt").symlink_to("real.txt")
    os.utime(tmp_path / "real.txt", ns=(1_000_000_000, 1_000_000_000))
    read(ctx, "alias.txt", offset=2, limit=1)
    assert ctx.reads.get(tmp_path / "real.txt") == ReadRecord(
        tmp_path / "real.txt", 1_000_000_000, 6, False
    )
    read(ctx, "alias.txt")
    assert ctx.reads.get(tmp_path / "real.txt") == ReadRecord(
        tmp_path / "real.txt", 1_000_000_000, 6, True
    )
    read(ctx, "alias.txt", offset=1, limit=3)  # covers every line: whole
    rec = ctx.reads.get(tmp_path / "real.txt")
    assert rec is not None and rec.whole


@pytest.mark.timeout(10)
def test_fifo_is_refused_without_hanging(ctx: ToolContext, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    assert read(ctx, "fifo") == ToolResult(
        f"Cannot read {tmp_path / 'fifo'}: it is not a regular file (a FIFO, socket or device).",
        is_error=True,
    )


def test_files_outside_the_workspace_are_readable(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "shared.txt").write_text("shared\n")
    ctx = ToolContext(workspace=Workspace(SandboxPolicy.create(ws)), reads=ReadRecords())
    assert read(ctx, "../shared.txt") == ToolResult(numbered(["shared"]))


def test_deny_listed_files_are_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    secrets = tmp_path / "secrets"
    ws.mkdir()
    secrets.mkdir()
    (secrets / "key").write_text("hunter2")
    policy = SandboxPolicy.create(ws, extra_read_deny=[secrets])
    ctx = ToolContext(workspace=Workspace(policy), reads=ReadRecords())
    result = read(ctx, secrets / "key")
    assert result == ToolResult(
        f"Access denied: {secrets / 'key'} is on this session's read deny list.", is_error=True
    )
    assert len(ctx.reads) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"offset": "3"}, 'Parameter "offset" must be a whole number (a line count); got "3".'),
        ({"limit": 0}, "limit must be at least 1, got 0."),
        ({"limit": True}, 'Parameter "limit" must be a whole number (a line count); got true.'),
        ({"offset": 2.5}, 'Parameter "offset" must be a whole number (a line count); got 2.5.'),
    ],
    ids=["offset-str", "limit-zero", "limit-bool", "offset-fraction"],
)
def test_odd_arguments_are_errors(
    ctx: ToolContext, tmp_path: Path, extra: dict[str, object], message: str
) -> None:
    (tmp_path / "f").write_text("x\n")
    assert read(ctx, "f", **extra) == ToolResult(message, is_error=True)


def test_non_string_path_is_an_error(ctx: ToolContext) -> None:
    result = READ.run({"file_path": 42}, ctx)
    assert result == ToolResult(
        "file_path must be a string: the path of the file to read.", is_error=True
    )


def test_float_offset_that_is_whole_is_accepted(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a\nb\n")
    assert read(ctx, "f", offset=2.0).content == numbered(["b"], 2)


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_streamed_reads_of_big_files_match_small_ones(
    ctx: ToolContext, tmp_path: Path, ending: str
) -> None:
    # Over 256 KB the lines stream; the output must be the same as for a small file.
    lines = [f"row {i} é" for i in range(1, 40_001)]
    (tmp_path / "big.txt").write_bytes(ending.join(lines).encode() + ending.encode())
    (tmp_path / "small.txt").write_bytes(ending.join(lines[:30]).encode())
    assert (tmp_path / "big.txt").stat().st_size > 256 * 1024
    for name in ("big.txt", "small.txt"):
        assert read(ctx, name, offset=28, limit=2).content == numbered(lines[27:29], 28)
    assert read(ctx, "big.txt", offset=40_001) == ToolResult(
        f"The file {tmp_path / 'big.txt'} has 40,000 lines; offset 40,001 is past its end. "
        "Use a smaller offset."
    )
    assert read(ctx, "big.txt", offset=39_999, limit=5).content == numbered(lines[-2:], 39_999)
    rec = ctx.reads.get(tmp_path / "big.txt")
    assert rec is not None and rec.whole is False


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_streamed_huge_lines_are_cut_with_their_true_length(
    ctx: ToolContext, tmp_path: Path, ending: str
) -> None:
    huge = "é" + "x" * 399_998 + "€"  # 400,000 characters, multi-byte at both ends
    (tmp_path / "big.txt").write_bytes(f"{huge}{ending}next{ending}".encode())
    cut = f"{huge[:2000]}… [line cut: 400,000 characters]"
    assert read(ctx, "big.txt", offset=1, limit=2).content == numbered([cut, "next"])
    assert read(ctx, "big.txt", offset=2).content == numbered(["next"], 2)


def test_a_gigantic_line_is_never_held_in_memory(tmp_path: Path) -> None:
    big = tmp_path / "one-line.json"
    with big.open("wb") as f:
        for _ in range(64):
            f.write(b"[1,2,3]," * (1 << 17))  # 64 MiB without a newline
    child = f"""
import resource
from pathlib import Path
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
policy = SandboxPolicy.create(Path({str(tmp_path)!r}))
ctx = ToolContext(workspace=Workspace(policy), reads=ReadRecords())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = ReadTool().run({{"file_path": {str(big)!r}, "offset": 1, "limit": 5}}, ctx).text()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, text[-40:])
"""
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=True
    )
    growth_kib, tail = done.stdout.split(maxsplit=1)
    assert int(growth_kib) < 16 * 1024
    assert tail.strip().endswith("[line cut: 67,108,864 characters]")


def test_procfs_files_reporting_size_zero_are_read(ctx: ToolContext) -> None:
    assert Path("/proc/version").stat().st_size == 0
    result = read(ctx, "/proc/version")
    assert result.text().startswith("     1\tLinux version ")
