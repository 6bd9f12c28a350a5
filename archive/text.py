"""Bytes to clean text, and the folding used for hashing and search.

Everything here is a pure function. ``clean`` produces the text users read
(one paragraph per line, scrape junk removed, Chinese punctuation as
written); ``fold`` maps it, character for character, to the form that is
hashed and indexed, so offsets in folded text are offsets in the clean text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .errors import InputError
from .model import Decoded

# --- decoding -------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "utf-32"),
    (b"\xff\xfe", "utf-16", "utf-16"),
    (b"\xfe\xff", "utf-16", "utf-16"),
)

# Characters frequent in Chinese prose, in simplified and traditional forms.
# Text decoded with the wrong double-byte codec is full of rare characters.
_COMMON = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
    "又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
    "位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别手角期根论运农指几九区强放"
    "决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶思术极交受联"
    "认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名"
    "确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律且究观越织装影算低持音众书布复容须际"
    "商非验连断深难近千周委素技备半办青省列习响约支般史感劳便团往历市克何除消构府称太准精值号率族维划选"
    "标写存候亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该价严"
    "這個們來時為國說會對發動過產種麼經進還與關當從實際義現開學機體點長問題黨員統織資區議導領"
    "書將軍戰爭農業濟設計劃務報總結廉廉潔責職監督紀權條應幹將議決屬據術費歷層縣鄉鎮級組隊"
)


def _cjk_score(text: str) -> float:
    """Share of CJK characters that are common ones: high for a right guess."""
    cjk = [c for c in text[:20000] if "\u4e00" <= c <= "\u9fff"]
    if not cjk:
        return 0.0
    return sum(c in _COMMON for c in cjk) / len(cjk)


def _control_share(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f\v") or c == "\ufffd")
    return bad / len(sample)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode(data: bytes) -> Decoded:
    """Read bytes in any common Chinese encoding; raise InputError when they are not text."""
    if not data.strip():
        raise InputError("empty file")
    if not data.strip(b"\x00"):
        raise InputError("the file holds only NUL bytes")
    if not data.strip(b" \t\r\n\x00\x0b\x0c"):
        raise InputError("empty file: only whitespace")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is not None:
                return _checked(Decoded(text, name))
            # A mark followed by bytes that are not that encoding: a few bad ones are kept (replaced), as
            # below; many mean the mark lies (random bytes after FF FE read as thousands of "characters").
            text = data.decode(codec, errors="replace")
            bad = text.count("\ufffd")
            if bad <= max(2, len(text) // 200):
                return _checked(Decoded(text, name, bad))
            break
    text = _strict(data, "utf-8")
    if text is not None:
        return _checked(Decoded(text, "utf-8"))
    if _looks_utf16(data):
        for codec in ("utf-16-le", "utf-16-be"):
            text = _strict(data, codec)
            if text is not None and _control_share(text) < 0.01 and _cjk_score(text) > 0.3:
                return _checked(Decoded(text, codec))
    candidates = []
    for codec in ("gb18030", "big5"):
        text = _strict(data, codec)
        if text is not None:
            candidates.append((_cjk_score(text), codec, text))
    if candidates:
        score, codec, text = max(candidates)
        if score > 0.2:
            return _checked(Decoded(text, codec))
    # An otherwise good file with a few bad bytes: keep it, say how many were replaced.
    best = None
    for codec in ("utf-8", "gb18030", "big5"):
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        if bad <= max(2, len(text) // 200) and _cjk_score(text) > 0.2:
            if best is None or bad < best.replaced:
                best = Decoded(text, codec, bad)
    if best is not None:
        return _checked(best)
    raise InputError("cannot read the text: not UTF-8, UTF-16, GB18030/GBK or Big5 (binary file?)")


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: many NUL bytes, all on one parity of offsets."""
    sample = data[:4000]
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return max(even, odd) >= 4 and max(even, odd) >= 3 * min(even, odd)


def _checked(decoded: Decoded) -> Decoded:
    if _control_share(decoded.text) > 0.05:
        raise InputError(f"binary file: decoded as {decoded.encoding}, but full of control characters")
    return decoded


# --- cleaning -------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
#: A line of nothing but zero-width characters: a scrape's artefact inside a paragraph (…把党风 / U+200B /
#: 廉政建设…), removed with its line break rather than left as a blank line that splits the paragraph.
_INVISIBLE_LINE = re.compile("(.?)\n[ \t\u3000]*[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]"
                             "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e \t\u3000]*\n")
_ENDS_SENTENCE = set("。！？；：…”』」）)!?;:")


def _drop_invisible_lines(text: str) -> str:
    """Mid-sentence (the line before ends in a character, not punctuation) the two halves are joined;
    elsewhere the invisible line just goes."""
    return _INVISIBLE_LINE.sub(lambda m: m.group(1) + ("" if m.group(1) and m.group(1) not in _ENDS_SENTENCE
                                                       else "\n"), text)
_ODD_SPACE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\x0b\x0c]+")
_JUNK_MARKER = re.compile(r"#{2}\s*[A-Za-z_]{2,24}\s*#{2}")
_CLOSERS = "，。、；：？！）」』”’》〉】〕,.;:?!)%％"
_OPENERS = "（「『“‘《〈【〔("
_SENTENCE_END = "。！？；：…”」』）)》!?;:."
_MARKER_ONLY = re.compile(r"^(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．])$")
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．](?!\d)|[（(]\d{1,2}[)）])"
)

#: Web chrome: whole lines a scraper keeps from the page around the report.
_CHROME_LINE = re.compile(
    r"^(?:下载|打印|全屏|收藏|分享|关闭|加大|还原|减小|默认|大|中|小|】|【|字号|"
    r"【?字号[：:]?.{0,12}】?|打印本页|关闭窗口|分享到[：:]?.*|扫一扫.{0,20}|"
    r"当前位置[：:].*|首页\s*[>＞»].*|[>＞»]|来源[：:].{0,40}|时间[：:][\d\-/ :年月日]{4,30}|"
    r"发布时间[：:].{0,40}|浏览次数[：:].{0,20}|阅读[：:]?\s*\d+|(?:责任)?编辑[：:].{0,20}|"
    r"【\s*(?:打印|关闭|收藏)\s*】.*|.{0,30}记者.{0,20}摄|信息来源[：:].{0,40}|作者[：:].{0,20})$"
)


def is_chrome_line(line: str) -> bool:
    """A line of page chrome wherever it stands (one chrome item, or several side by side: "打印本页 关闭窗口").
    Cleaning drops such lines only around the report; this tells them apart anywhere."""
    pieces = line.split()
    return bool(pieces) and all(_CHROME_LINE.match(p) for p in pieces) or bool(_CHROME_LINE.match(line.strip()))


_TAIL_BLOCK = re.compile(r"^(?:相关报道|相关阅读|相关链接|相关新闻|延伸阅读|推荐阅读)[：:]?\s*$")
_FOOTER_BLOCK = re.compile(r"本模板|本作品|著作权法|著作權法|公有领域|公有領域|维基文库|維基文庫|版权失效|版權失效|社群共识|Public domain")
_FOOTER_START = re.compile(r"^(?:本作品是中华人民共和国的|本作品来自|本作品在全世界都属于公有领域|Public domain$)")
_URL = re.compile(r"https?://[^\s<>\"'（）]+")


_HEAD_CHARS = 64
_MARKER_DEPTH = 8


def _is_heading(line: str) -> bool:
    return bool(_HEADING.match(line))


def _join_broken(lines: list[str]) -> list[str]:
    """Rejoin paragraphs a scrape broke apart at links and sub/superscripts.

    The paragraph being built is kept as a list of parts with its bracket
    balances, so joining many short lines stays linear (re-counting and
    re-copying the growing paragraph for every line made it quadratic).
    """
    out: list[str] = []
    parts: list[str] = []  # the paragraph being built
    head = ""  # its first _HEAD_CHARS characters: markers and heading numbers sit at the start
    size = books = parens = 0  # its length, unclosed 《 and unclosed （

    def flush() -> None:
        if parts:
            out.append("".join(parts))

    for line in lines:
        if parts and line:
            last = parts[-1][-1] if parts[-1] else ""
            if size and (
                line[0] in _CLOSERS
                or (size <= _HEAD_CHARS and _MARKER_ONLY.match(head))
                or last in _OPENERS
                or books > 0
                or parens > 0
                or (len(line) == 1 and "\u4e00" <= line <= "\u9fff" and last not in _SENTENCE_END
                    and "\u4e00" <= last <= "\u9fff")  # a word cut at a line's width: 政府工作报 / 告
                or (size > 30 and len(line) <= 20 and last not in _SENTENCE_END
                    and line[-1] not in _SENTENCE_END and not _is_heading(head) and not _is_heading(line)
                    and not _CHROME_LINE.match(line))
            ):
                parts.append(line)
                if size < _HEAD_CHARS:
                    head = (head + line)[:_HEAD_CHARS]
                size += len(line)
                books += line.count("《") - line.count("》")
                parens += line.count("（") - line.count("）")
                continue
        flush()
        parts = [line]
        head = line[:_HEAD_CHARS]
        size = len(line)
        books = line.count("《") - line.count("》")
        parens = line.count("（") - line.count("）")
    flush()
    return out


def find_source_url(text: str) -> str | None:
    """The first URL in the page chrome (head or tail), if the scrape kept one."""
    lines = text.splitlines()
    for line in lines[:15] + lines[-15:]:
        m = _URL.search(line)
        if m and len(line) < 300:
            return m.group(0).rstrip("。，,.")
    return None


@lru_cache(maxsize=1)
def _radical_table() -> dict[int, str]:
    """Kangxi radicals and CJK compatibility forms that PDF extraction yields (⽉ U+2F49) → the character (月)."""
    table = {}
    for lo, hi in ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)):
        for code in range(lo, hi + 1):
            mapped = unicodedata.normalize("NFKC", chr(code))
            if len(mapped) == 1 and mapped != chr(code):
                table[code] = mapped
    return table


_SPACED = re.compile(r"(?<=[\u3400-\u9fff，。、；：！？“”（）]) (?=[\u3400-\u9fff，。、；：！？“”（）])")
_SPACED_PAIR = re.compile(r"(?=[\u3400-\u9fff] [\u3400-\u9fff])")


def unspace(line: str) -> str:
    """政 府 工 作 报 告 → 政府工作报告: a line whose Chinese characters are mostly spaced out one by one."""
    pairs = len(_SPACED_PAIR.findall(line))
    if pairs < 3:
        return line
    cjk = sum(1 for c in line if "\u3400" <= c <= "\u9fff")
    return _SPACED.sub("", line) if pairs >= cjk * 0.6 else line


def clean(text: str) -> str:
    """Readable text: one paragraph per line, no chrome, junk markers or odd spaces."""
    text = unicodedata.normalize("NFC", text).translate(_radical_table())
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _drop_invisible_lines(text).translate(_ZERO_WIDTH)
    text = _drop_junk_markers(text)
    blocks: list[list[str]] = [[]]  # runs of lines without blank lines between them
    head = True  # page chrome before the report: dropped line by line, before any joining
    for raw in text.split("\n"):
        line = unspace(_ODD_SPACE.sub(" ", raw).strip())
        if head and line and (_CHROME_LINE.match(line) or _URL.fullmatch(line)):
            continue
        if line:
            head = False
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = _drop_footer_blocks([b for b in blocks if b])
    lines: list[str] = []
    for block in blocks:
        lines.extend(_join_broken(block))
    return "\n".join(_strip_chrome(lines))


def _drop_junk_markers(text: str) -> str:
    """##paidbegin##-style markers; again while removing one joined the halves of another (##pa##x##id##),
    up to a depth no real page has, so crafted nesting cannot make this quadratic."""
    for _ in range(_MARKER_DEPTH):
        text, removed = _JUNK_MARKER.subn("", text)
        if not removed:
            break
    return text


def _drop_footer_blocks(blocks: list[list[str]]) -> list[list[str]]:
    """Licence notices and footnotes a wiki appends after the report."""
    while len(blocks) > 1:
        last = "".join(blocks[-1])
        after_arrow = len(blocks) > 1 and blocks[-2] == ["↑"]
        if (_FOOTER_BLOCK.search(last) and len(last) < 400) or last == "↑" or after_arrow or last in ("false", "true"):
            blocks.pop()
            if after_arrow:
                blocks.pop()
        else:
            return blocks
    return blocks


def _strip_chrome(lines: list[str]) -> list[str]:
    """Page chrome left around the report, removed so that cleaning the result again removes nothing more.

    Each rule runs until it finds nothing: chrome lines counted against the
    first 15 lines *kept* (counting positions before removal left chrome that
    moved up into the window for a second cleaning), and footer cuts repeated
    while the shorter text has another footer in its last 80 lines.
    """
    start = 0
    while start < len(lines) and (_CHROME_LINE.match(lines[start]) or _URL.fullmatch(lines[start])):
        start += 1
    # Chrome can also sit inside the page head, after a title line (来源：… 时间：… captions).
    kept: list[str] = []
    for ln in lines[start:]:
        if len(kept) < 15 and len(ln) <= 60 and _CHROME_LINE.match(ln):
            continue
        kept.append(ln)
    # Footer and "related reports" blocks: cut from their start to the end; then chrome lines at the end.
    end = len(kept)
    while True:
        cut = end
        for i in range(end - 1, max(-1, end - 80), -1):
            if _FOOTER_START.match(kept[i]) or (_TAIL_BLOCK.match(kept[i]) and i > end // 2):
                cut = i
        while cut and (_CHROME_LINE.match(kept[cut - 1]) or _URL.fullmatch(kept[cut - 1])):
            cut -= 1
        if cut == end:
            return kept[:end]
        end = cut


# --- folding --------------------------------------------------------------

_WIDTH = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}
_CASE = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, int]:
    """Width, case and traditional→simplified, one character to one character."""
    import opencc  # loaded on first use: no work at import time

    table = dict(_WIDTH)
    for k, v in list(table.items()):
        table[k] = _CASE.get(v, v)
    table.update(_CASE)
    chars = [chr(c) for r in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)) for c in range(r[0], r[1] + 1)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) == len(chars):
        for src, dst in zip(chars, converted):
            if len(dst) == 1 and dst != src:
                table[ord(src)] = ord(dst)
    return table


@lru_cache(maxsize=1)
def _foldable() -> re.Pattern:
    """A run of characters ``fold`` changes: one class of code-point ranges, compiled once."""
    codes = sorted(_fold_table())
    spans, start, prev = [], codes[0], codes[0]
    for c in codes[1:] + [-1]:
        if c != prev + 1:
            spans.append(re.escape(chr(start)) + ("" if prev == start else "-" + re.escape(chr(prev))))
            start = c
        prev = c
    return re.compile("[" + "".join(spans) + "]+")


def _fold_run(match: re.Match) -> str:
    return match.group().translate(_fold_table())


def fold(text: str) -> str:
    """The search/hash form: same length as ``text``, so offsets carry over.

    Simplified prose has few characters to change, so only their runs go
    through ``str.translate``: finding them in C is 4-5 times faster than
    translating every character through the dict.
    """
    return _foldable().sub(_fold_run, text)


def hash_form(text: str) -> str:
    """What the exact-duplicate hash is taken over: folded, without any whitespace."""
    return re.sub(r"\s+", "", fold(text))
