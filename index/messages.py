"""Why a query cannot run, as a code with parameters, said in each language from one table.

The CLI and the API's ``error`` speak English; web pages and the API's
``message_zh`` speak Chinese. A code, not English text, is what travels, so
rewording a message in one language can never break the other
(``tests/test_search.py`` checks that every code has both).
"""

from __future__ import annotations

from archive.errors import UsageProblem

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "empty": 'enter a word or a "quoted phrase"',
        "unclosed_quote": "a quotation mark is not closed: {text}",
        "unopened_paren": "a closing parenthesis has no opening one",
        "unclosed_paren": "a parenthesis is not closed",
        "too_deep": "the query is nested too deeply (at most {max} levels of parentheses)",
        "or_needs_terms": "OR needs a term on both sides",
        "not_needs_term": "NOT (or -) needs a term after it",
        "too_many_terms": "too many terms: at most {max} words or phrases in one query",
        "nul": "the query contains a NUL character",
        "too_long": "the query is too long: {chars:,} characters (at most {max})",
        "only_exclusion": "a query cannot only exclude: add a word or phrase to search for",
        "unknown_section": "unknown section type {value!r}; choose from {choices}",
        "bad_year": "not a year: {value!r} (use a year such as 2023, or {unknown})",
        "unknown_kind": "unknown kind {value!r}; choose from {choices}",
        "bad_offset": "offset must be between 0 and {max:,}",
        "bad_limit": "limit must be between 0 and {max}",
        "unknown_engine": "unknown search engine {value!r}; choose from {choices}",
        "bad_sort": "unknown sort {value!r}; choose from {choices}",
        "bad_group": "unknown grouping {value!r}; choose from {choices}",
        "bad_cursor": "the cursor (after=) is not one this search gave, or belongs to another sort or grouping",
        "cursor_and_offset": "give either offset or after (a cursor), not both",
        "trend_queries": "a trend compares 1 to {max} queries",
        "bad_hide": "hiding boilerplate takes a number of reports from 2 to {max}",
        "unknown_role": "unknown role {value!r}",
        "unknown_level": "unknown level {value!r}; choose from {choices}",
        "unknown_region": "unknown region {value!r}; use a province's short name (see the API document)",
    },
    "zh": {
        "empty": "请输入词语，或用引号括起的“精确短语”。",
        "unclosed_quote": "引号没有闭合：{text}",
        "unopened_paren": "有右括号，却没有与之对应的左括号。",
        "unclosed_paren": "有左括号没有闭合。",
        "too_deep": "括号嵌套太深（最多 {max} 层）。",
        "or_needs_terms": "OR 的两边都要有词语或短语。",
        "not_needs_term": "NOT（或 -）后面要跟一个要排除的词语。",
        "too_many_terms": "词语太多：一次查询最多 {max} 个词语或短语。",
        "nul": "查询中含有不可见的 NUL 字符。",
        "too_long": "查询太长：{chars:,} 个字符（最多 {max} 个）。",
        "only_exclusion": "查询不能只有排除项：请加上要查找的词语或短语。",
        "unknown_section": "没有这种栏目类型：{value}。",
        "bad_year": "不是有效的年份：{value}。",
        "unknown_kind": "没有这种报告类型：{value}。",
        "bad_offset": "偏移量必须在 0 到 {max:,} 之间。",
        "bad_limit": "每页条数必须在 0 到 {max} 之间。",
        "unknown_engine": "没有这种搜索引擎：{value}。",
        "bad_sort": "没有这种排序方式：{value}。",
        "bad_group": "没有这种分组方式：{value}。",
        "bad_cursor": "翻页游标无效，或属于另一种排序或分组；请从第一页重新开始。",
        "cursor_and_offset": "偏移量和翻页游标只能给出一个。",
        "trend_queries": "趋势图一次比较 1 到 {max} 个查询。",
        "bad_hide": "隐藏套话的报告数须在 2 到 {max} 之间。",
        "unknown_role": "没有这种职务：{value}。",
        "unknown_level": "没有这种层级：{value}；可选：{choices}。",
        "unknown_region": "没有这个地区：{value}；请用省级简称，如“浙江”。",
    },
}


class QueryError(UsageProblem):
    """A query (or a filter) that cannot be run: a code and its parameters; ``message`` says how to fix it."""

    def __init__(self, code: str, **params) -> None:
        if code not in MESSAGES["en"]:
            raise ValueError(f"no message for query error code {code!r}")
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str = "en") -> str:
        return MESSAGES[language][self.code].format(**self.params)
