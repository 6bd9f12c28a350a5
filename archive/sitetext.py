"""Text copied from template (范文) and document-sharing sites: the reports without the site around them.

Such pages wrap a report in their own words — an editor's blurb (下面是小编整理的…
仅供参考), 篇1/篇2 markers between several reports on one page, date, share,
download, view-count and file-size lines, disclaimers and contact lines,
paywall notes (……此处隐藏20613个字……) — and sometimes paste a whole report as
one line or annotate characters with pinyin (鎮(zhèn)). Everything here is a
pure function on text; ``pages`` is the entry point: one page in, one
``Part`` per report out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .structure import title_start

_N = r"[\d一二三四五六七八九十]+"
#: 篇1 / 篇一： / 【篇2】 / 第3篇 / 范文五 / 精选范文（二） — a marker between reports, maybe followed by a title.
_PART_MARK = re.compile(
    rf"^[【\[（(]?\s*(?:篇\s*{_N}|第\s*{_N}\s*篇|(?:精选)?范文\s*[（(]?{_N}[)）]?)\s*[】\]）)]?\s*[:：、.．]?\s*(?P<rest>.*)$")
#: Lines made only of site words: 分享 收藏 下载本文 举报 浏览量：123 …
_CHROME_WORD = (r"(?:分享(?:到)?|收藏|点赞|举报|复制|打印|下载(?:本文|文档|全文|此文档|word版|Word版|原文)?|"
                r"(?:浏览|阅读|下载|点击)(?:量|次数|数)?\s*[：:]?\s*\d+\s*次?|评论\s*\d*|"
                r"(?:时间|日期|发布时间|更新时间|发布日期|上传时间)\s*[：:]\s*[\d\-/.: 年月日]+|"
                r"(?:页数|字数|大小|格式|文件大小|类型)\s*[：:]\s*\S{1,16}|"
                r"(?:作者|来源|编辑|栏目|分类)\s*[：:]\s*\S{1,20}|-?\s*\d+(?:\.\d+)?\s*[KMG]B|\d+\s*页|"
                r"【[^】]{1,8}】|[|｜·•/]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
_CHROME_LINE = re.compile(rf"^(?:{_CHROME_WORD}\s*)+$", re.IGNORECASE)
#: Editors' blurbs, disclaimers, contact lines and site names: whole lines that say them are not the report.
_SITE_SENTENCE = re.compile(
    r"小编|仅供参考|供(?:大家|您|你)(?:参考|借鉴|学习)|欢迎(?:阅读|借鉴|参考|收藏|下载|分享)|希望(?:对|能)(?:你|您|大家)"
    r"|(?:精选|推荐|范文)\s*\d+\s*篇|范文[一二三四五六七八九十\d]+篇|(?:热门|相关|推荐)(?:文章|阅读|范文|推荐)"
    r"|免责声明|版权(?:归|所有|声明)|如有侵权|侵权(?:请|必究|删除)|联系(?:我们|客服|删除|管理员)|本站|本网站"
    r"|用户上传|网友上传|文档(?:由|来源|仅供|为)|(?:QQ|qq|微信|VX|vx|客服|热线)\s*[：:号]?\s*\d{5,}"
    r"|(?:QQ|微信)群|公众号|获取更多|更多范文|(?:主办|承办)单位[：:]|技术支持[：:]|ICP备|备案号|设为首页|加入收藏|全文(?:阅读|下载|共\d+字)|阅读全文|展开全文|开通会员|会员(?:可|免费)|试读结束|剩余\s*\d+%\s*未读"
    r"|点击(?:下载|查看|收藏)|文档为.{0,6}格式|(?:doc|docx|word|Word)(?:格式|文档下载)|热词|已影响\s*\d+\s*人|推荐度"
    r"|开通(?:VIP|vip|会员)|付费(?:阅读|下载)|复制链接|收藏本文"
    r"|查看更多|更多(?:相关|精彩)|上一篇|下一篇|返回(?:首页|列表)|^首页$|(?:当前|您的)位置")
_SITE_MAX = 160  # a line longer than this is prose, whatever words it holds
#: Paywall notes inside or between paragraphs.
_PAYWALL = re.compile(r"[…\.。·]*\s*[(（]?(?:此处隐藏|以下隐藏|隐藏了?)\s*[：:]?\s*\d+\s*个?字\s*[)）]?\s*[…\.。·]*"
                      r"|[(（]?未完[，,]\s*(?:全文|继续阅读)[^)）\n]{0,30}[)）]?")
#: A pinyin gloss after a character: 鎮(zhèn), 塬（yuán）.
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\s?[（(]\s*[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7}[1-5]?\s*[)）]")
_CN = "一二三四五六七八九十"
#: Where a report pasted as one line breaks: before a numbered heading that follows a sentence end.
_ONE_LINE_BREAK = re.compile(rf"(?<=[。！？；：:!?])\s*(?=(?:[{_CN}]+、|[（(][{_CN}]+[)）]|第[{_CN}]+部分))")
_SALUTATION = re.compile(r"((?:尊敬的)?(?:各位|主任|书记|同志们)[^。：:]{0,24}[：:])")
_TITLE_END = re.compile(r"^(.{4,50}?(?:述职述廉报告|述职述责述廉报告|述职报告|述廉报告|工作总结|工作报告|任职报告|工作汇报|个人总结))"
                        r"\s*(?=\S)")
_CLOSING_START = re.compile(r"(?<=[。！？!?])\s*(?=以上(?:报告|述职|汇报)|谢谢(?:大家)?[。！!])")
_DATE_TAIL = re.compile(r"(?<=[。！？!?])\s*(?=\S{0,20}?\d{4}年\d{1,2}月\d{1,2}日\s*$)")


@dataclass(frozen=True)
class Part:
    """One report from a page: its text, and whether the site cut part of it off (a paywall note)."""

    text: str
    truncated: bool = False


def drop_pinyin(text: str) -> str:
    """鎮(zhèn) → 鎮."""
    return _PINYIN.sub("", text)


def split_one_line(line: str) -> list[str]:
    """A report pasted as one long line, back into title, salutation, headed paragraphs and closing.

    A run of short numbered items (一、抓学习；二、抓项目；…) is a list inside a
    paragraph, not an outline: breaks are only made before items that are
    followed by a full sentence.
    """
    if len(line) < 400:
        return [line]
    head: list[str] = []
    m = _TITLE_END.match(line)
    if m:
        head.append(m.group(1))
        line = line[m.end():].lstrip()
    m = _SALUTATION.match(line) or re.match(r"^((?:尊敬的)?[^。：:，]{0,30}(?:领导|同志们|委员|代表)[^。：:]{0,10}[：:])", line)
    if m:
        head.append(m.group(1))
        line = line[m.end():]
    cuts = [m.start() for m in _ONE_LINE_BREAK.finditer(line)]
    cuts += [m.start() for m in _CLOSING_START.finditer(line)] + [m.start() for m in _DATE_TAIL.finditer(line)]
    cuts = sorted(set(c for c in cuts if c > 0))
    pieces, start = [], 0
    for c in cuts:
        pieces.append(line[start:c])
        start = c
    pieces.append(line[start:])
    return head + _merge_lists([p.strip() for p in pieces if p.strip()])


def _merge_lists(pieces: list[str]) -> list[str]:
    """Rejoin numbered pieces too short to be sections (an inline list) to the piece before them.

    The item that ends such a list (三、抓作风。全年…) is rejoined too: it
    continues the list's numbering, whatever follows it.
    """
    out: list[str] = []
    in_list = False
    for p in pieces:
        numbered = re.match(rf"^(?:[{_CN}]+、|[（(][{_CN}]+[)）])", p)
        short = numbered and len(p) < 40 and "。" not in p[:-1]
        if out and numbered and (short or in_list):
            out[-1] += p
            in_list = bool(short)
        else:
            out.append(p)
            in_list = False
    return out


def is_site_line(line: str) -> bool:
    """A line the site wrote, not the author: chrome words only, or a blurb/disclaimer/contact sentence."""
    s = line.strip()
    if not s:
        return False
    if _CHROME_LINE.match(s):
        return True
    return len(s) <= _SITE_MAX and bool(_SITE_SENTENCE.search(s))


def strip_site(lines: list[str]) -> tuple[list[str], bool]:
    """The report's own lines, and whether a paywall note said text was hidden."""
    out: list[str] = []
    truncated = False
    for line in lines:
        line, cut = _PAYWALL.subn("", line)
        truncated = truncated or bool(cut)
        line = drop_pinyin(line).strip()
        if not line or is_site_line(line):
            continue
        out.append(line)
    return out[title_start(out):], truncated


#: The marker after a title on the same line: 2023年个人述职报告 篇1.
_TRAILING_MARK = re.compile(rf"^(?P<rest>\S.{{3,60}}?)\s*[【\[（(]?\s*篇\s*{_N}\s*[】\]）)]?$")


def _marker(line: str) -> re.Match | None:
    m = _PART_MARK.match(line.strip()) or _TRAILING_MARK.match(line.strip())
    if m is None:
        return None
    rest = m.group("rest")
    # "第一篇章" or a numbered sentence is prose; a marker stands alone or introduces a title.
    if rest and (len(rest) > 60 or rest[-1:] in "。；，,"):
        return None
    return m


def pages(text: str) -> list[Part]:
    """A page's text → one Part per report (split at 篇N markers when there are two or more)."""
    raw = [ln for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines: list[str] = []
    for ln in raw:
        lines.extend(split_one_line(ln.strip()) if len(ln) >= 400 else [ln])
    marks = [i for i, ln in enumerate(lines) if _marker(ln)]
    if len(marks) < 2:
        kept, truncated = strip_site([ln for i, ln in enumerate(lines) if i not in marks])
        return [Part("\n".join(kept), truncated)]
    parts: list[Part] = []
    head, truncated = strip_site(lines[:marks[0]])
    if len(re.findall(r"[\u3400-\u9fff]", "".join(head))) >= 300:  # a first report the site left unmarked
        parts.append(Part("\n".join(head), truncated))
    for k, start in enumerate(marks):
        end = marks[k + 1] if k + 1 < len(marks) else len(lines)
        rest = _marker(lines[start]).group("rest").strip()
        body = ([rest] if rest else []) + lines[start + 1:end]
        kept, truncated = strip_site(body)
        if kept:
            parts.append(Part("\n".join(kept), truncated))
    return parts or [Part("", False)]
