"""Split a shell command line into the simple commands it would run, for permission rules.

``Bash(git diff:*)`` must allow ``git diff HEAD`` but not ``git diff && rm -rf x``: every simple
command a line runs has to be checked, including the ones hidden in ``$(...)``, backticks,
``<(...)``, subshells and heredoc-free pipelines. The scanner below understands enough of bash to
find them: quotes, escapes, separators (``;`` ``&&`` ``||`` ``|`` ``|&`` ``&`` newlines),
redirections (so ``2>&1`` is not a background ``&``), comments, and nested substitutions.

Anything it cannot account for with confidence (unbalanced quotes or parentheses, arithmetic
or parameter expansions containing substitutions, unquoted heredocs with substitutions, ``(``
in the middle of a command) raises :class:`ShellParseError`; the permission layer then asks
instead of allowing. Being wrong on the safe side costs a prompt; being wrong the other way
runs ``rm``.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentrun.permissions.shellwords import (
    _HEREDOC_DELIMITER,
    _PLAIN_ARITHMETIC,
    _PLAIN_PARAMETER,
    RedirOp,
    ShellParseError,
    _balanced_parens,
    _strip_keywords,
    is_redirection,
)

__all__ = ["ShellParseError", "SimpleCommand", "split_commands"]

_SEPARATORS = (";", "\n", "&", "|")


@dataclass(frozen=True)
class SimpleCommand:
    """One command the shell would run: its words after quote removal, redirections included
    as words (``>``, ``out.txt``, ``2>&1``) so an exact rule does not match a redirected run."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def split_commands(command: str) -> list[SimpleCommand]:
    """Every simple command in ``command``, outer ones first then substitutions, in order.

    Raises :class:`ShellParseError` when the line cannot be parsed with confidence.
    """
    return _Scanner(command).parse()


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.out: list[SimpleCommand] = []

    # -- helpers -------------------------------------------------------------------------------
    def _peek(self, n: int = 0) -> str:
        j = self.i + n
        return self.s[j] if j < len(self.s) else ""

    def _startswith(self, token: str) -> bool:
        return self.s.startswith(token, self.i)

    def parse(self, closer: str = "") -> list[SimpleCommand]:
        """Parse until end of text (top level) or ``closer`` (``)`` or a backtick)."""
        words: list[str] = []
        word: list[str] = []
        in_word = False
        # commands found inside substitutions are reported after the command containing them
        nested: list[SimpleCommand] = []
        found: list[SimpleCommand] = []

        plain: list[bool] = []  # per word: no quotes or escapes in it (may be a keyword)
        quoted = False

        def end_word() -> None:
            nonlocal in_word, quoted
            if in_word:
                words.append("".join(word))
                plain.append(not quoted)
                word.clear()
                in_word = False
                quoted = False

        # bash refuses an operator with no command before it (`&& x`, `a | | b`) or after it
        # at the end (`a &&`): such a line runs less than it seems, or something else entirely
        pending_op = ""
        had_group = False

        def end_command() -> None:
            nonlocal had_group, pending_op
            end_word()
            if had_group and words and not is_redirection(words[0]):
                raise ShellParseError("words after a ')' subshell")
            cleaned = _strip_keywords(words, plain, opened)
            if cleaned:
                found.append(SimpleCommand(tuple(cleaned)))
            found.extend(nested)
            words.clear()
            plain.clear()
            nested.clear()
            had_group = False
            pending_op = ""

        opened: list[str] = []

        while self.i < len(self.s):
            c = self.s[self.i]
            if closer and c == closer[0] and self._startswith(closer):
                self.i += len(closer)
                if pending_op and not words and not in_word and not nested and not had_group:
                    raise ShellParseError(f"{pending_op!r} with no command after it")
                end_command()
                if opened:
                    raise ShellParseError(f"{opened[-1]!r} is never closed")
                return found
            if c == "\\":
                nxt = self._peek(1)
                self.i += 2
                if nxt == "\n":  # line continuation
                    continue
                if nxt == "":
                    raise ShellParseError("trailing backslash")
                word.append(nxt)
                in_word = quoted = True
            elif c in " \t":
                end_word()
                self.i += 1
            elif c == "#" and not in_word:
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif c == "'":
                end = self.s.find("'", self.i + 1)
                if end < 0:
                    raise ShellParseError("unterminated single quote")
                word.append(self.s[self.i + 1 : end])
                in_word = quoted = True
                self.i = end + 1
            elif c == '"':
                self.i += 1
                word.append(self._double_quoted(nested))
                in_word = quoted = True
            elif c == "`":
                self.i += 1
                nested.extend(self._nested("`"))
                word.append("`...`")
                in_word = True
            elif c == "$":
                quoted |= self._startswith("$'")
                word.append(self._dollar(nested))
                in_word = True
            elif c in "<>" and self._peek(1) == "(":
                self.i += 2
                nested.extend(self._nested(")"))
                word.append(f"{c}(...)")
                in_word = True
            elif c in "<>" or (c == "&" and self._peek(1) == ">"):
                # a redirection: an fd number just before it belongs to it (`2>`)
                fd = "".join(word) if in_word and not quoted and "".join(word).isdigit() else ""
                if fd:
                    word.clear()
                    in_word = False
                end_word()
                words.append(RedirOp(fd + self._redirection()))
                plain.append(True)
            elif c in _SEPARATORS:
                empty = not words and not in_word and not nested and not had_group
                two = self.s[self.i : self.i + 2]
                op = two if two in ("&&", "||", "|&", ";;") else c
                self.i += len(op)
                if op == "\n" and empty:
                    continue  # blank line, or a line break after `&&` / `|`
                if empty:
                    raise ShellParseError(f"{op!r} with no command before it")
                end_command()
                pending_op = op if op in ("&&", "||", "|", "|&") else ""
            elif c == "(":
                if in_word or words:
                    raise ShellParseError("'(' inside a command")
                if self._peek(1) == "(":
                    raise ShellParseError("'((' arithmetic can run code from variables")
                self.i += 1
                group = self._nested(")")
                if not group:
                    raise ShellParseError("an empty '( )'")
                found.extend(group)
                had_group = True
                pending_op = ""
            elif c == ")":
                raise ShellParseError("unbalanced ')'")
            else:
                word.append(c)
                in_word = True
                self.i += 1
        if closer:
            raise ShellParseError(f"missing closing {closer!r}")
        if pending_op and not words and not in_word and not nested:
            raise ShellParseError(f"{pending_op!r} with no command after it")
        end_command()
        if opened:
            raise ShellParseError(f"{opened[-1]!r} is never closed")
        return found

    def _nested(self, closer: str) -> list[SimpleCommand]:
        parent = self
        if closer == "`":
            # backticks do not nest without escaping; find the closing one and parse the inside
            j = parent.i
            buf: list[str] = []
            while j < len(parent.s) and parent.s[j] != "`":
                if parent.s[j] == "\\":
                    # bash keeps a backslash there unless `$`, a backtick or a backslash
                    # follows (and `"` inside double quotes): refused, not emulated
                    raise ShellParseError("a backslash inside backticks")
                buf.append(parent.s[j])
                j += 1
            if j >= len(parent.s):
                raise ShellParseError("unterminated backtick")
            parent.i = j + 1
            return _Scanner("".join(buf)).parse()
        child = _Scanner(parent.s)
        child.i = parent.i
        result = child.parse(closer)
        # a heredoc inside the substitution cut its body out of the text: take that over
        parent.s, parent.i = child.s, child.i
        return result

    def _double_quoted(self, nested: list[SimpleCommand]) -> str:
        buf: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return "".join(buf)
            if c == "\\" and self._peek(1) in '"\\$`\n':
                if self._peek(1) != "\n":
                    buf.append(self._peek(1))
                self.i += 2
            elif c == "`":
                self.i += 1
                nested.extend(self._nested("`"))
                buf.append("`...`")
            elif c == "$":
                buf.append(self._dollar(nested))
            else:
                buf.append(c)
                self.i += 1
        raise ShellParseError("unterminated double quote")

    def _dollar(self, nested: list[SimpleCommand]) -> str:
        """At a ``$``: a substitution (parsed), a parameter expansion, or a literal dollar."""
        if self._startswith("$(("):
            body = self._balanced("$((", "))")
            inner = body[3:-2]
            if not _PLAIN_ARITHMETIC.fullmatch(inner) or not _balanced_parens(inner):
                # a variable's value is itself evaluated (`x='a[$(rm y)]'; $((x))`)
                raise ShellParseError("arithmetic on variables or substitutions")
            return body
        if self._startswith("$["):
            raise ShellParseError("'$[' arithmetic")
        if self._startswith("$("):
            self.i += 2
            nested.extend(self._nested(")"))
            return "$(...)"
        if self._startswith("${"):
            body = self._balanced("${", "}")
            if not _PLAIN_PARAMETER.fullmatch(body):
                # `${a[x]}`, `${s:x}`, `${!x}` evaluate a value as arithmetic or a name
                raise ShellParseError(f"the expansion {body!r} may run code")
            return body
        if self._startswith("$'"):  # ANSI-C quoting: $'a\nb'
            end = self.i + 2
            while end < len(self.s) and self.s[end] != "'":
                end += 2 if self.s[end] == "\\" else 1
            if end >= len(self.s):
                raise ShellParseError("unterminated $'...'")
            body = self.s[self.i : end + 1]
            self.i = end + 1
            return body
        self.i += 1
        return "$"

    def _balanced(self, opener: str, closer: str) -> str:
        depth = 0
        start = self.i
        while self.i < len(self.s):
            if self._startswith(opener) or (opener == "${" and self._startswith("{")):
                depth += 1
                self.i += len(opener) if self._startswith(opener) else 1
                continue
            if self._startswith(closer):
                depth -= 1
                self.i += len(closer)
                if depth == 0:
                    return self.s[start : self.i]
                continue
            self.i += 1
        raise ShellParseError(f"missing closing {closer!r}")

    def _redirection(self) -> str:
        """Consume a redirection operator (and a ``&N`` target); heredocs are refused unless
        their body is literal."""
        start = self.i
        if self._startswith("<<<"):
            self.i += 3
            return "<<<"
        if self._startswith("<<"):
            return self._heredoc()
        if self._startswith("&>>"):
            self.i += 3
        elif self.s[self.i : self.i + 2] in ("&>", ">>", ">|", "<>"):
            self.i += 2
        else:
            self.i += 1
        if self._peek() == "&":  # 2>&1, >&2, <&-
            self.i += 1
            while self._peek().isdigit() or self._peek() == "-":
                self.i += 1
        return self.s[start : self.i]

    def _heredoc(self) -> str:
        self.i += 2
        strip_tabs = self._peek() == "-"
        if strip_tabs:
            self.i += 1
        while self._peek() in " \t":
            self.i += 1
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in " \t\n;&|<>()":
            self.i += 1
        raw = self.s[start : self.i]
        if not _HEREDOC_DELIMITER.fullmatch(raw):
            raise ShellParseError(f"the heredoc delimiter {raw!r} is not a plain word")
        quoted = any(q in raw for q in "'\"\\")
        delim = raw.replace("'", "").replace('"', "").replace("\\", "")
        if not delim:
            raise ShellParseError("heredoc without a delimiter")
        # the body starts after the end of the current line; cut it out of the text so the
        # rest of the line (and what follows the delimiter) is scanned normally
        line_end = self.s.find("\n", self.i)
        if line_end < 0:
            raise ShellParseError("heredoc without a body")
        # bash starts the body after the newline that ends the whole command line; a quote,
        # escape or substitution after the operator could hold that newline inside it
        if any(ch in self.s[self.i : line_end] for ch in "'\"\\`$()#{"):
            raise ShellParseError("quotes or substitutions after a heredoc operator")
        lines = self.s[line_end + 1 :].split("\n")
        for n, line in enumerate(lines):
            if (line.lstrip("\t") if strip_tabs else line) == delim:
                body = "\n".join(lines[:n])
                if not quoted and ("$(" in body or "`" in body):
                    raise ShellParseError("command substitution inside a heredoc")
                rest = "\n".join(lines[n + 1 :])
                self.s = self.s[: line_end + 1] + rest
                return "<<" + delim
        raise ShellParseError(f"heredoc delimiter {delim!r} never closes")
