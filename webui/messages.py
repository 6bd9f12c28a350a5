"""The search layer's messages for a query it cannot run, said in Chinese on the web pages.

The index layer words its QueryError messages in English (the CLI and the JSON
API show them as they are). A message not listed here is shown unchanged.
"""

from __future__ import annotations

import re

_CHINESE: list[tuple[re.Pattern, str]] = [
    (re.compile(r"a quotation mark is not closed: (.*)"), "引号没有闭合：{0}"),
    (re.compile(r"a closing parenthesis has no opening one"), "有右括号，却没有与之对应的左括号。"),
    (re.compile(r"a parenthesis is not closed"), "有左括号没有闭合。"),
    (re.compile(r"the query is nested too deeply \(at most (\d+) levels.*"), "括号嵌套太深（最多 {0} 层）。"),
    (re.compile(r"OR needs a term on both sides"), "OR 的两边都要有词语或短语。"),
    (re.compile(r"enter a word or a \"quoted phrase\""), "请输入词语，或用引号括起的“精确短语”。"),
    (re.compile(r"NOT \(or -\) needs a term after it"), "NOT（或 -）后面要跟一个要排除的词语。"),
    (re.compile(r"too many terms: at most (\d+) .*"), "词语太多：一次查询最多 {0} 个词语或短语。"),
    (re.compile(r"the query contains a NUL character"), "查询中含有不可见的 NUL 字符。"),
    (re.compile(r"the query is too long: ([\d,]+) characters \(at most (\d+)\)"),
     "查询太长：{0} 个字符（最多 {1} 个）。"),
    (re.compile(r"a query cannot only exclude.*"), "查询不能只有排除项：请加上要查找的词语或短语。"),
    (re.compile(r"unknown section type (.*?); .*"), "没有这种栏目类型：{0}。"),
    (re.compile(r"not a year: (.*?) \(.*"), "不是有效的年份：{0}。"),
    (re.compile(r"unknown kind (.*?); .*"), "没有这种报告类型：{0}。"),
]


def in_chinese(message: str) -> str:
    for pattern, template in _CHINESE:
        m = pattern.fullmatch(message)
        if m:
            return template.format(*m.groups())
    return message
