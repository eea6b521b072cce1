"""Which of a PDF page's text a viewer paints: the page's content stream (and its forms') as
pypdf will read it, with the text-showing operators that paint nothing a reader can see taken
out. What is not indexed cannot be quoted, cited or handed to the LLM as the document's word.

Text is unpainted when its render mode paints nothing (3, invisible; 7, a clip only), when its
paint is fully transparent (an ExtGState's ``/ca`` or ``/CA`` of 0), when it is set smaller than
``_MIN_SIZE``, when it starts outside the page's crop box or the current clipping path, when it
is painted white where nothing but the white page lies under it, when an opaque rectangle or
image at least half an em high is painted over it afterwards (a redaction box, a white-out, a
picture laid over it: glyph by glyph where the font lists its widths, ``_cut``), or when it is
optional content (a layer: marked content or a form of an optional content group or membership
dictionary) that a viewer hides when the document opens. The graphics state is followed as a
viewer follows it (``q``/``Q``, ``cm``, colours and colour spaces, alphas, blend modes and soft
masks, clipping by the bounding box of the clipping path, forms with their matrix and box); a
text's place is where its text-showing operator starts (the text matrix is not advanced by the
glyphs it shows), and only a box over text follows its glyphs along the line. A scan's OCR
layer (invisible text over the scan) is read by ``index.ocr``, not here.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass, field
from typing import NamedTuple

from index.ocr import SCAN_SHARE

_MIN_SIZE = 1.0  # points: text set smaller than this cannot be read on the page
_WHITE = 0.97  # a colour whose every component is at least this light (CMYK: this little ink) is the page's
_CLEAR = 0.01  # an alpha below this paints nothing
_OPAQUE = 0.99  # one above this hides what lies under it
_FORM_DEPTH = 12  # forms nested deeper than this are left as they are

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # left, bottom, right, top, in the page's space
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_FILL = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_STROKE = frozenset({b"S", b"s", b"B", b"B*", b"b", b"b*"})
_DEVICE_SPACES = {"/DeviceGray": 1, "/G": 1, "/CalGray": 1, "/DeviceRGB": 3, "/RGB": 3, "/CalRGB": 3,
                  "/DeviceCMYK": 4, "/CMYK": 4}


def _times(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector convention: a point is carried by m × n)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _point(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def _bounds(points: list[tuple[float, float]]) -> Box | None:
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _meet(box: Box | None, other: Box | None) -> Box | None:
    """Where two boxes overlap (None is the unbounded box); an empty overlap is a box of no area."""
    if box is None or other is None:
        return other if box is None else box
    left, bottom = max(box[0], other[0]), max(box[1], other[1])
    return left, bottom, max(left, min(box[2], other[2])), max(bottom, min(box[3], other[3]))


def _inside(box: Box | None, x: float, y: float, margin: float) -> bool:
    return box is None or (box[0] - margin <= x <= box[2] + margin and box[1] - margin <= y <= box[3] + margin)


def _numbers(operands: list, n: int) -> list[float] | None:
    try:
        values = [float(operand) for operand in operands[:n]]
    except (TypeError, ValueError):
        return None
    return values if len(values) == n else None


@dataclass(frozen=True)
class _Colour:
    """A colour as far as telling white from ink goes: its space's components, and its value
    (None where the space is not one whose white is known: a pattern, a separation, an index)."""

    components: int | None = 1
    value: tuple[float, ...] | None = (0.0,)
    white: bool = field(init=False)

    def __post_init__(self) -> None:
        known = self.value is not None and len(self.value) == self.components
        white = known and (all(v <= 1 - _WHITE for v in self.value) if self.components == 4
                           else all(v >= _WHITE for v in self.value))
        object.__setattr__(self, "white", white)


@dataclass(frozen=True)
class _Font:
    """What a font tells of its glyphs' size and advance: its glyph size against the usual
    thousandth of text space (a Type 3 font's /FontMatrix), its advance per glyph unit, and,
    where its dictionary lists them, each code's width in glyph units and how many bytes a code
    takes (None where that is not known: a standard font without /Widths, a CMap of mixed code
    lengths)."""

    scale: float = 1.0
    unit: float = 0.001
    widths: dict[int, float] | None = None
    default: float = 0.0  # a code not listed
    code_bytes: int = 1


@dataclass(slots=True)
class _State:
    """The parts of the graphics state that decide whether text shows (copied by ``q``)."""

    ctm: Matrix = _IDENTITY
    clip: Box | None = None
    fill: _Colour = _Colour()
    stroke: _Colour = _Colour()
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    mode: int = 0
    size: float = 0.0
    font: _Font = _Font()
    scale: float = 1.0  # horizontal scaling (Tz)
    leading: float = 0.0
    char_spacing: float = 0.0  # Tc
    word_spacing: float = 0.0  # Tw
    blended: bool = False  # a blend mode or soft mask: what is painted may not hide what lies under it


class _Shown(NamedTuple):
    """A text-showing operator whose text is shown: where it stands (a list of operators, the
    page's or a form's, and its place in it), its text rendering matrix, and the text state it
    was shown in."""

    operations: list
    index: int
    matrix: Matrix
    size: float
    font: _Font
    scale: float
    char_spacing: float
    word_spacing: float


_RAISED = 0.25  # ems above the baseline: where a box over text is looked for
_COVER_HEIGHT = 0.5  # ems: a box over text at least this high hides it (a lower one is a rule through it)


def _cut(shown: _Shown, left: float, right: float):
    """The operator of ``shown`` as a TJ less the glyphs whose middle lies between ``left`` and
    ``right`` on the page, each run of them replaced by the move it made (so the text around
    keeps its place, and pypdf sees a gap); None when no glyph is there or the advances are not
    known (a font without widths, text not upright, the ' and \" operators)."""
    from pypdf.generic import ArrayObject, ByteStringObject, FloatObject

    operands, operator = shown.operations[shown.index]
    a, b, c, _, e, _ = shown.matrix
    font = shown.font
    if operator not in (b"Tj", b"TJ") or font.widths is None or not shown.size or not shown.scale \
            or abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0:
        return None
    elements = list(operands[0]) if operator == b"TJ" else operands[:1]
    em = shown.size * shown.scale / 1000  # a thousandth of text space, as TJ's numbers count
    out, kept, gap, pos, cut = ArrayObject(), bytearray(), 0.0, 0.0, False
    for element in elements:
        if not isinstance(element, bytes):
            if (number := _numbers([element], 1)) is not None:
                pos -= number[0] * em
            out.append(element)
            continue
        for i in range(0, len(element), font.code_bytes):
            code = element[i:i + font.code_bytes]
            value = int.from_bytes(code, "big")
            advance = (font.widths.get(value, font.default) * font.unit * shown.size + shown.char_spacing
                       + (shown.word_spacing if code == b" " else 0.0)) * shown.scale
            if left < a * (pos + advance / 2) + e < right:
                if kept:
                    out.append(ByteStringObject(bytes(kept)))
                    kept.clear()
                gap, cut = gap + advance, True
            else:
                if gap:
                    out.append(FloatObject(-gap / em))
                    gap = 0.0
                kept += code
            pos += advance
        if kept:
            out.append(ByteStringObject(bytes(kept)))
            kept.clear()
    if gap:
        out.append(FloatObject(-gap / em))
    return ([out], b"TJ") if cut else None


@dataclass
class _Page:
    """What one page's content has painted so far: boxes in ink (not white), in the page's space,
    and the text shown (``_Shown``) until something opaque is painted over it; what was covered,
    how many pieces were left out, and whether an image covers ``SCAN_SHARE`` of the page."""

    box: Box
    off: frozenset[int] = frozenset()  # the optional content groups a viewer hides (object numbers)
    painted: list[Box] = field(default_factory=list)
    shown: list[_Shown] = field(default_factory=list)
    covered: list[tuple[list, int]] = field(default_factory=list)
    dropped: int = 0  # text-showing operators taken out or cut, forms left out
    scan: bool = False

    def cover(self, box: Box | None) -> None:
        """Something opaque is painted over ``box``: the text starting inside it is covered, and
        the glyphs of a line it covers part of are cut out of their operator (``_cut``)."""
        if box is None or not self.shown:
            return
        left, bottom, right, top = box
        still = []
        for shown in self.shown:
            x, y = _point(shown.matrix, 0.0, _RAISED * shown.size)  # a point inside the glyphs' height
            if top - bottom < _COVER_HEIGHT * abs(shown.size * shown.matrix[3]):  # a rule: under- or strikethrough
                still.append(shown)
                continue
            if left < x < right and bottom < y < top:
                self.covered.append((shown.operations, shown.index))
                continue
            still.append(shown)
            if bottom < y < top and right > x and (cut := _cut(shown, left, right)) is not None:
                shown.operations[shown.index] = cut
                self.dropped += 1
        self.shown = still


@dataclass(frozen=True)
class Unpainted:
    """What following a page's content found: how many text-showing operators (or forms) paint
    nothing a reader sees, and whether an image covers ``SCAN_SHARE`` of the page (a scan, perhaps
    with an OCR layer: ``index.ocr.scans_under_text`` tells)."""

    pieces: int
    scan: bool


def without_unpainted_text(page) -> Unpainted:
    """Set ``page``'s content (a pypdf page of a reader, changed in memory only) to itself less
    the text no viewer paints, its forms' likewise. pypdf's text extraction then reads the parsed
    operators as they are, without parsing the stream again."""
    from pypdf.generic import ArrayObject, ContentStream, NameObject, StreamObject

    stream = page.get("/Contents")
    if stream is None or not isinstance(stream := stream.get_object(), (ArrayObject, StreamObject)):
        return Unpainted(0, False)
    content = ContentStream(stream, page.pdf, "bytes")  # its strings as bytes, as pypdf reads text
    box = tuple(float(v) for v in page.cropbox)
    state = _Page(box=(min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])),
                  off=_groups_off(page.pdf))
    content.operations = _painted(content.operations, _resources(page), _State(), state, ())
    for operations, index in sorted(state.covered, key=lambda where: -where[1]):
        operations[index:index + 1] = _unshown(*operations[index])
    page[NameObject("/Contents")] = content
    return Unpainted(state.dropped + len(state.covered), state.scan)


def _resources(obj, inherited=None):
    from pypdf.generic import DictionaryObject

    resources = obj.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if resources is None and hasattr(obj, "get_inherited"):
        resources = obj.get_inherited("/Resources", None)
        resources = resources.get_object() if resources is not None else None
    return resources if isinstance(resources, DictionaryObject) else (inherited or DictionaryObject())


def _resource(resources, kind: str, name):
    try:
        return resources[kind][name].get_object()
    except (KeyError, TypeError, AttributeError):
        return None


def _painted(operations: list, resources, state: _State, page: _Page, forms: tuple) -> list:
    """``operations`` less the text-showing ones that paint nothing visible, following the state."""
    kept: list = []
    stack: list[_State] = []
    tm = line = _IDENTITY
    path: list[tuple[float, float]] = []
    clipping, boxes = False, True  # the clip operator is pending; the path is only rectangles
    fonts: dict = {}
    marked: list[bool] = []  # the marked content open, each whether it is optional content a viewer hides
    unseen = False  # inside such content
    for operands, operator in operations:
        if operator in _SHOW:
            if operator in (b"'", b'"'):  # to the next line, then show
                line = tm = _times((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), line)
                if operator == b'"' and (m := _numbers(operands, 2)):
                    state.word_spacing, state.char_spacing = m
            if unseen or (start := _shown_at(state, tm, page)) is None:
                page.dropped += 1
                kept += _unshown(operands, operator)
                continue
            page.shown.append(_Shown(kept, len(kept), start, state.size, state.font, state.scale,
                                     state.char_spacing, state.word_spacing))
        elif operator == b"q":
            stack.append(copy(state))
        elif operator == b"Q":
            state = stack.pop() if stack else state
        elif operator == b"cm" and (m := _numbers(operands, 6)):
            state.ctm = _times(tuple(m), state.ctm)
        elif operator == b"BT":
            tm = line = _IDENTITY
        elif operator == b"Tm" and (m := _numbers(operands, 6)):
            tm = line = tuple(m)
        elif operator in (b"Td", b"TD") and (m := _numbers(operands, 2)):
            line = tm = _times((1.0, 0.0, 0.0, 1.0, m[0], m[1]), line)
            if operator == b"TD":
                state.leading = -m[1]
        elif operator == b"T*":
            line = tm = _times((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), line)
        elif operator == b"TL" and (m := _numbers(operands, 1)):
            state.leading = m[0]
        elif operator == b"Tf" and len(operands) >= 2 and (m := _numbers(operands[1:], 1)):
            if (font := fonts.get(operands[0])) is None:
                font = fonts[operands[0]] = _font(_resource(resources, "/Font", operands[0]))
            state.size, state.font = m[0], font
        elif operator == b"Tr" and (m := _numbers(operands, 1)):
            state.mode = int(m[0])
        elif operator == b"Tz" and (m := _numbers(operands, 1)):
            state.scale = m[0] / 100
        elif operator == b"Tc" and (m := _numbers(operands, 1)):
            state.char_spacing = m[0]
        elif operator == b"Tw" and (m := _numbers(operands, 1)):
            state.word_spacing = m[0]
        elif operator == b"gs":
            _set_graphics_state(state, _resource(resources, "/ExtGState", operands[0] if operands else None))
        elif operator in (b"g", b"rg", b"k", b"G", b"RG", b"K"):
            n = {b"g": 1, b"rg": 3, b"k": 4}[operator.lower()]
            _set_colour(state, operator, _Colour(n, tuple(m) if (m := _numbers(operands, n)) else None))
        elif operator in (b"cs", b"CS"):
            _set_colour(state, operator, _space(resources, operands[0] if operands else None))
        elif operator in (b"sc", b"scn", b"SC", b"SCN"):
            now = state.fill if operator.islower() else state.stroke
            value = _numbers(operands, len(operands)) if now.components else None
            _set_colour(state, operator, _Colour(now.components, tuple(value) if value else None))
        elif operator in (b"m", b"l", b"c", b"v", b"y") and (m := _numbers(operands, len(operands))):
            path += [_point(state.ctm, x, y) for x, y in zip(m[::2], m[1::2])]
            boxes = False
        elif operator == b"re" and (m := _numbers(operands, 4)):
            x, y, w, h = m
            path += [_point(state.ctm, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
        elif operator in (b"W", b"W*"):
            clipping = True
        elif operator in _FILL or operator in _STROKE or operator == b"n":
            bounds = _bounds(path)
            if bounds and not unseen:
                if (operator in _FILL and not state.fill.white and state.fill_alpha >= _CLEAR
                        or operator in _STROKE and not state.stroke.white and state.stroke_alpha >= _CLEAR):
                    page.painted.append(_meet(state.clip, bounds))
                if operator in _FILL and boxes and _opaque(state) and _upright(state.ctm):
                    page.cover(_meet(state.clip, bounds))  # a box filled over text: a redaction, a white-out
            if clipping:
                state.clip = _meet(state.clip, bounds or (0.0, 0.0, 0.0, 0.0))
            path, clipping, boxes = [], False, True
        elif operator == b"sh" and not unseen:
            page.painted.append(state.clip or page.box)
        elif operator == b"INLINE IMAGE" and not unseen:
            _paint_image(state, page, operands.get("settings", {}) if isinstance(operands, dict) else {})
        elif operator in (b"BDC", b"BMC"):
            hides = operator == b"BDC" and len(operands) >= 2 and operands[0] == "/OC" and _hidden(
                page.off, _property(resources, operands[1]))
            marked.append(hides)
            unseen = unseen or hides
        elif operator == b"EMC":
            if marked:
                marked.pop()
            unseen = any(marked)
        elif operator == b"Do" and operands:
            xobject = _resource(resources, "/XObject", operands[0])
            if xobject is not None and (unseen or "/OC" in xobject and _hidden(page.off, xobject.raw_get("/OC"))):
                page.dropped += xobject.get("/Subtype") == "/Form"  # a form a viewer hides: not read
                continue
            if xobject is not None and xobject.get("/Subtype") == "/Image":
                _paint_image(state, page, xobject)
            elif xobject is not None and xobject.get("/Subtype") == "/Form":
                _paint_form(resources, operands[0], xobject, state, page, forms)
        kept.append((operands, operator))
    return kept


def _set_colour(state: _State, operator: bytes, colour: _Colour) -> None:
    """Set the fill colour (an operator in lower case: ``rg``, ``cs``, ``scn``) or the stroke's."""
    if operator.islower():
        state.fill = colour
    else:
        state.stroke = colour


def _groups_off(pdf) -> frozenset[int]:
    """The optional content groups (layers) a viewer hides when it opens the document: the
    default configuration's /OFF list, or all but its /ON list where its base state is /OFF."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    def numbers(array) -> set[int]:
        array = array.get_object() if array is not None else None
        if not isinstance(array, ArrayObject):
            return set()
        return {item.idnum for item in array if isinstance(item, IndirectObject)}

    try:
        properties = pdf.trailer["/Root"].get_object().get("/OCProperties")
        properties = properties.get_object() if properties is not None else None
        view = properties.get("/D") if isinstance(properties, DictionaryObject) else None
        view = view.get_object() if view is not None else None
        if not isinstance(view, DictionaryObject):
            return frozenset()
        if str(view.get("/BaseState", "/ON")) == "/OFF":
            return frozenset(numbers(properties.raw_get("/OCGs")) - numbers(view.raw_get("/ON")))
        return frozenset(numbers(view.raw_get("/OFF")))
    except (KeyError, AttributeError, TypeError):
        return frozenset()


def _property(resources, operand):
    """A marked-content property list: given inline, or named in the resources' /Properties
    (as the reference it is there, which names an optional content group)."""
    from pypdf.generic import DictionaryObject

    if isinstance(operand, DictionaryObject):
        return operand
    properties = resources.get("/Properties")
    properties = properties.get_object() if properties is not None else None
    return properties.raw_get(operand) if isinstance(properties, DictionaryObject) and operand in properties else None


def _hidden(off: frozenset[int], entry) -> bool:
    """Whether an optional content group, or a membership dictionary of groups (its /P policy),
    is hidden by the viewer's default configuration (``off``); ``entry`` as the resource holds it."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if entry is None or not off:
        return False
    group = entry.get_object()
    if not isinstance(group, DictionaryObject) or group.get("/Type") != "/OCMD":
        return isinstance(entry, IndirectObject) and entry.idnum in off
    members = group.raw_get("/OCGs") if "/OCGs" in group else None
    members = members.get_object() if members is not None else None
    members = list(members) if isinstance(members, ArrayObject) else [group.raw_get("/OCGs")] if members else []
    hidden = [isinstance(member, IndirectObject) and member.idnum in off for member in members]
    if not hidden:
        return False
    policy = str(group.get("/P", "/AnyOn"))  # the members that must be on (off) for the content to show
    return {"/AllOn": any(hidden), "/AnyOff": not any(hidden), "/AllOff": not all(hidden)}.get(policy, all(hidden))


def _paint_image(state: _State, page: _Page, image) -> None:
    """An image painted into the unit square the state's matrix maps: ink, and, opaque (no mask,
    no stencil) and upright, a cover over the text under it."""
    whole = _bounds([_point(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))])
    box = _meet(state.clip, whole)
    page.painted.append(box)
    left, bottom, right, top = _meet(page.box, whole)
    page.scan |= (right - left) * (top - bottom) >= _area(page.box) * SCAN_SHARE
    stencil = str(image.get("/ImageMask", image.get("/IM", False))).lower() == "true"
    if not stencil and "/SMask" not in image and "/Mask" not in image and _opaque(state) and _upright(state.ctm):
        page.cover(box)


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _opaque(state: _State) -> bool:
    return state.fill_alpha >= _OPAQUE and not state.blended


def _upright(ctm: Matrix) -> bool:
    """Whether the matrix keeps a rectangle a rectangle along the page's axes (its box is itself)."""
    return abs(ctm[1]) < 1e-6 and abs(ctm[2]) < 1e-6 or abs(ctm[0]) < 1e-6 and abs(ctm[3]) < 1e-6


def _unshown(operands: list, operator: bytes) -> list:
    """What stays of a text-showing operator whose text is not shown: the move to the next line."""
    if operator == b"'":
        return [([], b"T*")]
    if operator == b'"' and len(operands) >= 3:
        return [([operands[0]], b"Tw"), ([operands[1]], b"Tc"), ([], b"T*")]
    return []


def _shown_at(state: _State, tm: Matrix, page: _Page) -> Matrix | None:
    """Where text shown now, from the text matrix ``tm``, stands on the page (its text rendering
    matrix, less the font size), if it paints something a reader can see; None if it does not."""
    if state.mode in (3, 7):
        return None
    fills, strokes = state.mode in (0, 2, 4, 6), state.mode in (1, 2, 5, 6)
    if max(state.fill_alpha if fills else 0.0, state.stroke_alpha if strokes else 0.0) < _CLEAR:
        return None
    matrix = a, b, c, d, x, y = _times(tm, state.ctm)
    size = abs(state.size) * state.font.scale
    if min(size * math.hypot(c, d), size * abs(state.scale) * math.hypot(a, b)) < _MIN_SIZE:
        return None
    margin = size * math.hypot(c, d)
    if not _inside(page.box, x, y, margin) or not _inside(state.clip, x, y, margin):
        return None
    if (not fills or state.fill.white) and (not strokes or state.stroke.white):  # white: seen over ink only
        return matrix if any(_inside(box, x, y, 0.0) for box in page.painted) else None
    return matrix


def _font(font) -> _Font:
    """A font dictionary's metrics (``_Font``); the usual ones where it cannot be read."""
    try:
        kind = font.get("/Subtype")
        if kind == "/Type0":
            cid = font["/DescendantFonts"][0].get_object()
            widths: dict[int, float] | None = {}
            entries = list(cid.get("/W", []))
            while len(entries) >= 2:
                first, after = int(entries[0]), entries[1].get_object() if hasattr(entries[1], "get_object") else entries[1]
                if isinstance(after, list):
                    widths.update((first + k, float(w)) for k, w in enumerate(after))
                    entries = entries[2:]
                else:
                    widths.update(dict.fromkeys(range(first, int(after) + 1), float(entries[2])))
                    entries = entries[3:]
            two = str(font.get("/Encoding")) == "/Identity-H"  # (vertical writing, other CMaps: not known)
            return _Font(widths=widths if two else None, default=float(cid.get("/DW", 1000)), code_bytes=2)
        matrix = [float(v) for v in font["/FontMatrix"]] if kind == "/Type3" else [0.001, 0, 0, 0.001]
        listed = font.get("/Widths")
        widths = {int(font.get("/FirstChar", 0)) + k: float(w) for k, w in enumerate(listed)} if listed else None
        descriptor = font.get("/FontDescriptor")
        missing = float(descriptor.get_object().get("/MissingWidth", 0)) if descriptor is not None else 0.0
        return _Font(math.hypot(matrix[2], matrix[3]) * 1000, matrix[0], widths, missing)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return _Font()


def _set_graphics_state(state: _State, parameters) -> None:
    """Set an ExtGState's alphas (``/ca`` fill, ``/CA`` stroke) and font size in ``state``."""
    if parameters is None:
        return
    for key, name in (("/ca", "fill_alpha"), ("/CA", "stroke_alpha")):
        if (value := _numbers([parameters.get(key)], 1)) is not None:
            setattr(state, name, value[0])
    if "/BM" in parameters or "/SMask" in parameters:
        blend, mask = parameters.get("/BM", "/Normal"), parameters.get("/SMask", "/None")
        state.blended = str(blend) not in ("/Normal", "/Compatible", "[/Normal]") or str(mask) != "/None"
    font = parameters.get("/Font")
    if font is not None and (size := _numbers(list(font)[1:2], 1)) is not None:
        state.size = size[0]


def _space(resources, name) -> _Colour:
    """The initial colour of the colour space ``name`` (black), with its component count when its
    white is known: a device, calibrated or ICC space; None for a pattern, separation, index."""
    from pypdf.generic import ArrayObject

    space = _DEVICE_SPACES.get(str(name))
    if space is None and (defined := _resource(resources, "/ColorSpace", name)) is not None:
        family = str(defined[0]) if isinstance(defined, ArrayObject) and defined else str(defined)
        space = _DEVICE_SPACES.get(family)
        if family == "/ICCBased":
            try:
                space = int(defined[1].get_object()["/N"])
            except (KeyError, TypeError, ValueError, IndexError):
                space = None
    if space is None:
        return _Colour(None, None)
    return _Colour(space, (0.0, 0.0, 0.0, 1.0) if space == 4 else (0.0,) * space)


def _paint_form(resources, name, form, state: _State, page: _Page, forms: tuple) -> None:
    """Follow a form drawn with ``state``: its operators are filtered as the page's are, and the
    form is replaced in ``resources`` (in memory) by its filtered content."""
    from pypdf.generic import ContentStream, NameObject

    if id(form) in forms or len(forms) >= _FORM_DEPTH:
        return
    matrix = _numbers(list(form.get("/Matrix", _IDENTITY)), 6) or list(_IDENTITY)
    ctm = _times(tuple(matrix), state.ctm)
    inner = copy(state)
    inner.ctm = ctm
    if (box := _numbers(list(form.get("/BBox", [])), 4)) is not None:
        inner.clip = _meet(state.clip, _bounds([_point(ctm, x, y) for x in box[::2] for y in box[1::2]]))
    content = form if isinstance(form, ContentStream) else ContentStream(form, None, "bytes")
    if content is not form:
        content.update({key: value for key, value in form.items() if key not in ("/Filter", "/DecodeParms", "/Length")})
    content.operations = _painted(content.operations, _resources(form, resources), inner, page,
                                  (*forms, id(form), id(content)))
    resources["/XObject"][NameObject(name)] = content
