"""Turn two Word memos, an earlier edition and this one, into this one with native tracked changes.

`mark_revisions(old, new, author=..., when=...)` rewrites the new memo's body in place so that Word,
LibreOffice or pandoc show it as the old memo with every change tracked: accepting all changes gives the
new memo's text, rejecting them all gives the old one's.

How it compares: body blocks are aligned by a key (paragraph: style and text; table: its first row's
text) with `difflib.SequenceMatcher`; in each stretch that differs, blocks of one kind whose words are
similar (ratio >= `SIMILAR`) are paired in order, and paired paragraphs are compared word by word (words,
spaces and punctuation are tokens, equal only with the same run formatting and hyperlink). Rows of paired
tables are aligned alike by their cells' text and compared cell by cell. What stays unpaired is a whole
paragraph or row inserted or deleted; a table inserted or deleted is every row of it.

What it writes (ECMA-376 part 1, 17.13.5): `w:ins`/`w:del` around runs (deleted text in `w:delText`,
field codes in `w:delInstrText`), inside a `w:hyperlink` when the text was a link (a deleted link keeps
its target, related again in the new part); `w:ins`/`w:del` in `w:pPr/w:rPr` for paragraph marks that
only one edition has; and in `w:trPr` for inserted and deleted table rows. A paragraph whose mark goes
joins the next paragraph, so a paragraph before a table or at the end of a cell or body keeps its mark,
and the mark of the paragraph before it stands for the removed one, as Word does. Revision ids are
numbered in document order from one fixed start, so the same inputs give the same XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import cache
from itertools import groupby
from typing import Any, Final, NamedTuple

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

SIMILAR: Final = 0.5
"""Two paragraphs (rows, tables) of a changed stretch are compared word by word from this ratio up."""
FIRST_ID: Final = 1
"""Revision ids count up from here (or from above the highest w:id the new body already holds)."""
MAX_PAIRING: Final = 250_000
"""Larger changed stretches (old x new blocks) are not paired: every block is inserted or deleted."""

_P, _TBL, _TR, _TC, _R, _T = (qn(tag) for tag in ("w:p", "w:tbl", "w:tr", "w:tc", "w:r", "w:t"))
_PPR, _RPR, _TRPR, _TCPR = (qn(tag) for tag in ("w:pPr", "w:rPr", "w:trPr", "w:tcPr"))
_HYPERLINK, _SECTPR, _NUMPR = qn("w:hyperlink"), qn("w:sectPr"), qn("w:numPr")
_INS, _DEL, _ID, _VAL = qn("w:ins"), qn("w:del"), qn("w:id"), qn("w:val")
_R_ID: Final = qn("r:id")
_SKIPPED: Final = frozenset(qn(t) for t in ("w:proofErr", "w:lastRenderedPageBreak"))
_TRACKED: Final = tuple(
    qn(t) for t in ("w:ins", "w:del", "w:moveFrom", "w:moveTo", "w:rPrChange", "w:pPrChange", "w:trPrChange")
)
_SHOWN: Final = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}
_AFTER_RPR_IN_PPR: Final = (qn("w:sectPr"), qn("w:pPrChange"))
_WORDS: Final = re.compile(r"\w+|\s+|[^\w\s]")

Canon = tuple[Any, ...]


class Token(NamedTuple):
    """One word, space, punctuation mark or other run content, with its look; equal tokens diff equal."""

    kind: Canon | None  # None: text from a w:t; else the run's child element, canonical
    text: str
    fmt: Canon | None  # the run's w:rPr, canonical
    link: Canon | None  # ("link", url, other attributes) of the enclosing w:hyperlink


Ops = list[tuple[str, Token]]  # each token "=" kept, "-" deleted or "+" inserted


@dataclass
class _Block:
    element: Any
    key: Canon  # what aligns it with its counterpart
    group: Canon  # only blocks of one group are paired
    units: list[str]  # what similarity is measured on
    tokens: list[Token] | None = None  # paragraphs only


@dataclass
class _Out:
    element: Any
    is_paragraph: bool
    in_old: bool
    in_new: bool
    ops: Ops | None = None  # a rebuilt paragraph's tokens


def mark_revisions(old: DocxDocument | None, new: DocxDocument, *, author: str, when: datetime) -> int:
    """Rewrite `new`'s body in place so that it is `new` with native tracked changes against `old`
    (None: an empty old document, everything inserted). Returns the number of revisions written.

    Both are memos as the builder makes them; a ValueError names what is not (tracked changes already
    there, or paragraph content other than runs and hyperlinks)."""
    return _Marker(old, new, author, when).run()


def _canon(element: Any) -> Canon:
    """A hashable, comparable form of an element: tag, attributes, text and children."""
    children = tuple(_canon(child) for child in element if isinstance(child.tag, str))
    return (element.tag, tuple(sorted(element.attrib.items())), element.text or "", children)


def _plain(paragraph: Any) -> str:
    """A paragraph's text as shown: w:t text, tabs and breaks."""
    return "".join((el.text or "") if el.tag == _T else _SHOWN.get(el.tag, "") for el in paragraph.iter())


def _row_text(tr: Any) -> tuple[str, ...]:
    return tuple("\n".join(_plain(p) for p in tc.iter(_P)) for tc in tr.findall(_TC))


def _blocks_of(container: Any, skip: str) -> list[Any]:
    return [child for child in container if child.tag != skip and isinstance(child.tag, str)]


class _Marker:
    def __init__(self, old: DocxDocument | None, new: DocxDocument, author: str, when: datetime) -> None:
        self.old = old
        self.new = new
        self.author = author
        moment = when.astimezone(UTC) if when.tzinfo else when
        self.date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.pool: dict[Canon, Any] = {}  # canonical form -> an element to copy (w:rPr, run content)
        self.num_map: dict[str, str] = {}  # old numId -> new numId, learnt from paired list paragraphs
        self.new_nums = self._num_ids(new)

    # --- the document -----------------------------------------------------------------------------------

    def run(self) -> int:
        body = self.new.element.body
        old_body = self.old.element.body if self.old is not None else None
        for tree in (body, old_body):
            for element in tree.iter(*_TRACKED) if tree is not None else ():
                raise ValueError(f"the memo already holds tracked changes ({element.tag.split('}')[1]})")
        taken = [int(v) for el in body.iter() if isinstance(el.tag, str) and (v := el.get(_ID, "")).isdigit()]
        start = max([FIRST_ID, *(n + 1 for n in taken)])
        sect_pr = body.find(_SECTPR)
        new_blocks = _blocks_of(body, _SECTPR)
        old_blocks = _blocks_of(old_body, _SECTPR) if old_body is not None else []
        out = self._container(old_blocks, new_blocks)
        for child in new_blocks:
            body.remove(child)
        for element in out:
            sect_pr.addprevious(element) if sect_pr is not None else body.append(element)
        marks = list(body.iter(_INS, _DEL))
        for number, mark in enumerate(marks, start):
            mark.set(_ID, str(number))
        return len(marks)

    @staticmethod
    def _num_ids(document: DocxDocument) -> set[str]:
        parts = [r.target_part for r in document.part.rels.values() if r.reltype == RT.NUMBERING]
        return {num.get(qn("w:numId"), "") for part in parts[:1] for num in part.element.iter(qn("w:num"))}

    # --- describing blocks ------------------------------------------------------------------------------

    def _describe(self, element: Any, part: Any) -> _Block:
        if element.tag == _P:
            found = element.find(f"{_PPR}/{qn('w:pStyle')}")
            style = str(found.get(_VAL, "")) if found is not None else ""
            tokens = self._tokens(element, part)
            text = "".join(token.text for token in tokens)
            units = [token.text for token in tokens if not token.text.isspace()]
            return _Block(element, ("p", style, text), ("p", style), units, tokens)
        if element.tag == _TBL:
            rows = [_row_text(tr) for tr in element.findall(_TR)]
            columns = len(element.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"))
            return _Block(element, ("tbl", rows[0] if rows else ()), ("tbl", columns), [str(r) for r in rows])
        return _Block(element, ("other", _canon(element)), ("other",), [])

    def _remember(self, element: Any) -> Canon:
        canon = _canon(element)
        self.pool.setdefault(canon, element)
        return canon

    def _tokens(self, paragraph: Any, part: Any, link: Canon | None = None) -> list[Token]:
        tokens: list[Token] = []
        for child in paragraph:
            if child.tag == _R:
                self._run_tokens(child, link, tokens)
            elif child.tag == _HYPERLINK and link is None:
                rid = child.get(_R_ID)
                rest = tuple(sorted((k, v) for k, v in child.attrib.items() if k != _R_ID))
                tokens += self._tokens(child, part, ("link", part.rels[rid].target_ref if rid else "", rest))
            elif child.tag != _PPR and child.tag not in _SKIPPED and isinstance(child.tag, str):
                raise ValueError(f"unsupported {child.tag} in a memo paragraph")
        return tokens

    def _run_tokens(self, run: Any, link: Canon | None, tokens: list[Token]) -> None:
        rpr = run.find(_RPR)
        fmt = self._remember(rpr) if rpr is not None else None
        for child in run:
            if child.tag == _T:
                tokens.extend(Token(None, word, fmt, link) for word in _WORDS.findall(child.text or ""))
            elif child.tag != _RPR and child.tag not in _SKIPPED and isinstance(child.tag, str):
                tokens.append(Token(self._remember(child), _SHOWN.get(child.tag, ""), fmt, link))

    # --- containers: the body, a table cell --------------------------------------------------------------

    def _container(
        self, old_elements: Sequence[Any], new_elements: Sequence[Any], lone: bool = False
    ) -> list[Any]:
        """The blocks that stand for both editions of one container, marks set, in order."""
        old_part = self.old.part if self.old is not None else None
        old = [self._describe(element, old_part) for element in old_elements]
        new = [self._describe(element, self.new.part) for element in new_elements]
        pairs = _align(old, new, lone=lone)
        for a, b in pairs:
            if a is not None and b is not None and a.tokens is not None:
                old_num, new_num = _num_id(a.element), _num_id(b.element)
                if old_num and new_num:
                    self.num_map.setdefault(old_num, new_num)
        items: list[_Out] = []
        for a, b in pairs:
            kind = (a or b).element.tag  # type: ignore[union-attr]  # a pair holds at least one block
            if kind == _P:
                element, ops = self._paragraph(a, b)
                items.append(_Out(element, True, a is not None, b is not None, ops))
            elif kind == _TBL:
                items.append(_Out(self._table(a, b), False, a is not None, b is not None))
            elif b is not None:  # anything else (no memo has it) is kept as the new edition has it
                items.append(_Out(b.element, False, a is not None, True))
        for is_paragraph, segment in groupby(items, key=lambda item: item.is_paragraph):
            if is_paragraph:
                self._paragraph_marks(list(segment))
        return [item.element for item in items]

    def _paragraph_marks(self, segment: list[_Out]) -> None:
        """Mark inserted and deleted paragraph marks of paragraphs that follow one another.

        A removed mark joins its paragraph to the next one, so the last paragraph before a table or the
        end of the container keeps its mark in both editions; the last mark of each edition before it
        moves there (its paragraph's text is then joined to the emptied paragraphs after it)."""
        in_old = [item.in_old for item in segment]
        in_new = [item.in_new for item in segment]
        for flags in (in_old, in_new):
            last = max((k for k, flag in enumerate(flags) if flag), default=None)
            if last is not None:
                flags[last] = False
            flags[-1] = True
        for k, (item, was, stays) in enumerate(zip(segment, in_old, in_new, strict=True)):
            if not (was and stays):
                self._mark_paragraph(item.element, inserted=not was, deleted=not stays)
            elif k + 1 < len(segment):
                self._part_insertions(item, segment[k + 1])

    def _part_insertions(self, item: _Out, following: _Out) -> None:
        """Keep an insertion that ends a paragraph from touching one that starts the next: LibreOffice
        (7.4) joins the two across the unchanged paragraph end, and its Reject All then removes that end
        too. A replacement at the end puts its deletion last; else the last unchanged token is typed
        again, deleted after the insertion and inserted before it (the same text either way)."""
        ops = item.ops
        if not ops or not following.ops or ops[-1][0] != "+" or following.ops[0][0] != "+":
            return
        start = len(ops)
        while start and ops[start - 1][0] == "+":
            start -= 1
        cut = start
        while cut and ops[cut - 1][0] == "-":
            cut -= 1
        if cut < start:
            ops[cut:] = ops[start:] + ops[cut:start]
        elif start and ops[start - 1][0] == "=":
            token = ops[start - 1][1]
            ops[start - 1 :] = [("+", token), *ops[start:], ("-", token)]
        else:
            return
        self._fill(_cleared(item.element), ops)

    # --- paragraphs -------------------------------------------------------------------------------------

    def _paragraph(self, old: _Block | None, new: _Block | None) -> tuple[Any, Ops | None]:
        if new is not None:
            if old is not None and old.tokens == new.tokens:
                return new.element, None
            assert new.tokens is not None
            ops = _word_ops((old.tokens or []) if old is not None else [], new.tokens)
            paragraph = _cleared(new.element)
        else:
            assert old is not None and old.tokens is not None
            ops = [("-", token) for token in old.tokens]
            paragraph = OxmlElement("w:p")
            ppr = old.element.find(_PPR)
            if ppr is not None:
                paragraph.append(self._old_ppr(ppr))
        self._fill(paragraph, ops)
        return paragraph, ops

    def _old_ppr(self, ppr: Any) -> Any:
        """A deleted paragraph's properties, fit for the new document: no section break, and a list
        number that names the new document's list (or none)."""
        copied = deepcopy(ppr)
        for child in copied.findall(_SECTPR):
            copied.remove(child)
        num_id = copied.find(f"{_NUMPR}/{qn('w:numId')}")
        if num_id is not None:
            value = self.num_map.get(num_id.get(_VAL, ""), num_id.get(_VAL, ""))
            num_id.set(_VAL, value) if value in self.new_nums else copied.remove(copied.find(_NUMPR))
        return copied

    def _fill(self, paragraph: Any, ops: Ops) -> None:
        """Append the runs of `ops` to a paragraph: hyperlink, then revision, then run."""
        for link, linked in groupby(ops, key=lambda op: op[1].link):
            target = paragraph if link is None else _append(paragraph, self._hyperlink(link))
            for kind, changed in groupby(linked, key=lambda op: op[0]):
                holder = target
                if kind != "=":
                    holder = _append(target, self._revision("w:ins" if kind == "+" else "w:del"))
                for fmt, run in groupby(changed, key=lambda op: op[1].fmt):
                    holder.append(self._run(fmt, [token for _, token in run], deleted=kind == "-"))

    def _hyperlink(self, link: Canon) -> Any:
        _, url, rest = link
        element = OxmlElement("w:hyperlink")
        if url:
            element.set(_R_ID, self.new.part.relate_to(url, RT.HYPERLINK, is_external=True))
        for name, value in rest:
            element.set(name, value)
        return element

    def _run(self, fmt: Canon | None, tokens: Iterable[Token], *, deleted: bool) -> Any:
        run = OxmlElement("w:r")
        if fmt is not None:
            run.append(deepcopy(self.pool[fmt]))
        for is_text, group in groupby(tokens, key=lambda token: token.kind is None):
            if is_text:
                text = OxmlElement("w:delText" if deleted else "w:t")
                text.text = "".join(token.text for token in group)
                if text.text != text.text.strip():
                    text.set(qn("xml:space"), "preserve")
                run.append(text)
                continue
            for token in group:
                element = deepcopy(self.pool[token.kind or ()])  # not text: kind is set
                if deleted and element.tag == qn("w:instrText"):
                    element.tag = qn("w:delInstrText")
                run.append(element)
        return run

    def _revision(self, tag: str) -> Any:
        """A w:ins or w:del; its w:id is numbered when the whole body is done."""
        return OxmlElement(tag, {_ID: "0", qn("w:author"): self.author, qn("w:date"): self.date})

    def _mark_paragraph(self, paragraph: Any, *, inserted: bool, deleted: bool) -> None:
        ppr = paragraph.find(_PPR)
        if ppr is None:
            ppr = OxmlElement("w:pPr")
            paragraph.insert(0, ppr)
        rpr = ppr.find(_RPR)
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            later = [child for child in ppr if child.tag in _AFTER_RPR_IN_PPR]
            later[0].addprevious(rpr) if later else ppr.append(rpr)
        if deleted:  # CT_ParaRPr: ins?, del?, then the run properties
            rpr.insert(0, self._revision("w:del"))
        if inserted:
            rpr.insert(0, self._revision("w:ins"))

    # --- tables -----------------------------------------------------------------------------------------

    def _table(self, old: _Block | None, new: _Block | None) -> Any:
        old_rows = old.element.findall(_TR) if old is not None else []
        if new is None:
            table = deepcopy(old.element)  # type: ignore[union-attr]  # a pair holds at least one block
            rows: list[tuple[Any, Any]] = [(tr, None) for tr in old_rows]
        else:
            table = new.element
            aligned = _align(
                [_row_block(tr) for tr in old_rows], [_row_block(tr) for tr in table.findall(_TR)]
            )
            rows = [(a.element if a else None, b.element if b else None) for a, b in aligned]
        for tr in table.findall(_TR):
            table.remove(tr)
        table.extend(self._row(a, b) for a, b in rows)
        return table

    def _row(self, old: Any, new: Any) -> Any:
        if old is None or new is None:  # a row inserted or deleted: its cells' runs are too
            row = new if old is None else deepcopy(old)
            for cell in row.findall(_TC):
                blocks = _blocks_of(cell, _TCPR)
                self._cell(cell, [] if old is None else blocks, blocks if old is None else [])
            self._mark_row(row, "w:ins" if old is None else "w:del")
            return row
        for old_cell, new_cell in zip(old.findall(_TC), new.findall(_TC), strict=False):
            self._cell(new_cell, _blocks_of(old_cell, _TCPR), _blocks_of(new_cell, _TCPR), lone=True)
        return new

    def _cell(self, cell: Any, old_blocks: list[Any], new_blocks: list[Any], *, lone: bool = False) -> None:
        out = self._container(old_blocks, new_blocks, lone)
        for child in _blocks_of(cell, _TCPR):
            cell.remove(child)
        cell.extend(out)

    def _mark_row(self, row: Any, tag: str) -> None:
        trpr = row.find(_TRPR)
        if trpr is None:
            trpr = OxmlElement("w:trPr")
            first = row[0] if len(row) else None
            row.insert(1 if first is not None and first.tag == qn("w:tblPrEx") else 0, trpr)
        change = trpr.find(qn("w:trPrChange"))  # CT_TrPr: the row properties, ins?, del?, trPrChange?
        mark = self._revision(tag)
        change.addprevious(mark) if change is not None else trpr.append(mark)


def _row_block(tr: Any) -> _Block:
    cells = _row_text(tr)
    words = [word for word in _WORDS.findall("\t".join(cells)) if not word.isspace()]
    return _Block(tr, ("tr", cells), ("tr", len(cells)), words)


def _cleared(paragraph: Any) -> Any:
    for child in [child for child in paragraph if child.tag != _PPR]:
        paragraph.remove(child)
    return paragraph


def _append(parent: Any, child: Any) -> Any:
    parent.append(child)
    return child


def _num_id(paragraph: Any) -> str:
    num_id = paragraph.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
    return str(num_id.get(_VAL, "")) if num_id is not None else ""


def _align(
    old: Sequence[_Block], new: Sequence[_Block], *, lone: bool = False
) -> list[tuple[_Block | None, _Block | None]]:
    """Blocks in output order: pairs (old, new), and (old, None) deleted, (None, new) inserted. With
    `lone` (the cells of paired rows), one block replaced by one block of its group is always paired."""
    matcher = SequenceMatcher(None, [b.key for b in old], [b.key for b in new], autojunk=False)
    out: list[tuple[_Block | None, _Block | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (lone and i2 - i1 == j2 - j1 == 1 and old[i1].group == new[j1].group):
            out.extend(zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            out.extend(_pair(old[i1:i2], new[j1:j2]))
    return out


def _similarity(a: _Block, b: _Block) -> float:
    if a.group != b.group or a.group == ("other",):
        return 0.0
    matcher = SequenceMatcher(None, a.units, b.units, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= SIMILAR else 0.0


def _pair(old: Sequence[_Block], new: Sequence[_Block]) -> list[tuple[_Block | None, _Block | None]]:
    """Pair similar blocks of a changed stretch in order (most total similarity); between pairs the
    unpaired old blocks (deleted) come before the unpaired new ones (inserted)."""
    n, m = len(old), len(new)
    if n * m > MAX_PAIRING:
        return [(a, None) for a in old] + [(None, b) for b in new]

    @cache
    def similar(i: int, j: int) -> float:
        return _similarity(old[i], new[j])

    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in reversed(range(n)):
        for j in reversed(range(m)):
            best = max(score[i + 1][j], score[i][j + 1])
            score[i][j] = max(best, similar(i, j) + score[i + 1][j + 1]) if similar(i, j) else best
    out: list[tuple[_Block | None, _Block | None]] = []
    deleted: list[_Block] = []
    inserted: list[_Block] = []
    i = j = 0
    while i < n or j < m:
        found = similar(i, j) if i < n and j < m else 0.0
        if found and score[i][j] == found + score[i + 1][j + 1]:
            out += [(a, None) for a in deleted] + [(None, b) for b in inserted] + [(old[i], new[j])]
            deleted, inserted = [], []
            i, j = i + 1, j + 1
        elif i < n and (j == m or score[i][j] == score[i + 1][j]):
            deleted.append(old[i])
            i += 1
        else:
            inserted.append(new[j])
            j += 1
    return out + [(a, None) for a in deleted] + [(None, b) for b in inserted]


def _word_ops(old: list[Token], new: list[Token]) -> Ops:
    """The tokens of both, in order, each "=" (kept), "-" (deleted) or "+" (inserted).

    Changes split only by whitespace are joined into one, so that a changed phrase reads as one deletion
    and one insertion instead of alternating words."""
    codes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    merged: list[tuple[str, int, int, int, int]] = []
    for k, (opcode, i1, i2, j1, j2) in enumerate(codes):
        tag: str = opcode
        # opcodes alternate: an equal stretch inside the list lies between two changes
        inner = 0 < k < len(codes) - 1
        if opcode == "equal" and inner and all(t.kind is None and t.text.isspace() for t in old[i1:i2]):
            tag = "replace"
        if merged and tag != "equal" and merged[-1][0] != "equal":
            merged[-1] = ("replace", merged[-1][1], i2, merged[-1][3], j2)
        else:
            merged.append((tag, i1, i2, j1, j2))
    ops: Ops = []
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":
            ops.extend(("=", token) for token in new[j1:j2])
        else:
            ops.extend(("-", token) for token in old[i1:i2])
            ops.extend(("+", token) for token in new[j1:j2])
    return ops
