"""The JSON API described once, as an OpenAPI 3.1 document: served at /api/openapi.json and read as /api.

Each endpoint's parameters here are the ones it accepts (``tests/test_api.py``
checks them against the sets the views enforce), so the page cannot drift
from the code.
"""

from __future__ import annotations

from archive.authorship import LEVELS, REGIONS, ROLES
from archive.model import KINDS, SECTION_TYPES
from index.api import EXPORT_FIELDS, EXPORT_FORMATS, GROUPS, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, SORTS

_FILTERS = [
    {"name": "role", "in": "query", "description": "作者职务（可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(ROLES)}}},
    {"name": "level", "in": "query", "description": "作者层级或系统（可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(LEVELS)}}},
    {"name": "region", "in": "query", "description": "地区（省级简称，可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(REGIONS)}}},
    {"name": "section", "in": "query", "description": "栏目类型（可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(SECTION_TYPES)}}},
    {"name": "year", "in": "query", "description": "年份，或 unknown（可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "pattern": "^([12][0-9]{3}|unknown)$"}}},
    {"name": "kind", "in": "query", "description": "报告类型（可重复，OR）", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(KINDS)}}},
]
_Q = {"name": "q", "in": "query", "required": True, "description": "查询：词语、\"精确短语\"、OR、-排除、括号",
      "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}, "example": '"两个维护"'}
_HIDE = {"name": "hide", "in": "query", "description": "隐藏套话：不返回在至少这么多份报告中出现的段落（2 起）",
         "schema": {"type": "integer", "minimum": 2, "maximum": 1000}}
_ERROR = {"description": "参数或查询有误：error（英文）与 message_zh（中文）说明原因",
          "content": {"application/json": {"schema": {"type": "object", "properties": {
              "error": {"type": "string"}, "message_zh": {"type": "string"}}}}}}


def _param(name: str, description: str, schema: dict, example=None) -> dict:
    out = {"name": name, "in": "query", "description": description, "schema": schema}
    if example is not None:
        out["example"] = example
    return out


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "述职报告档案 JSON API", "version": "1",
                 "description": "与网页相同的检索：段落或报告、筛选、排序、游标翻页、导出。所有文本均为 UTF-8。"},
        "paths": {
            "/api/search": {"get": {
                "summary": "检索段落（或按报告分组）",
                "parameters": [_Q, *_FILTERS,
                               _param("sort", "排序", {"type": "string", "enum": list(SORTS)}, "relevance"),
                               _param("group", "passage：段落；report：报告及其最佳段落", {"type": "string",
                                      "enum": list(GROUPS)}, "passage"),
                               _param("limit", "每页条数", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, 10),
                               _param("offset", "偏移量（有上限；更深请用 after）",
                                      {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, 0),
                               _param("after", "上一页回答中的 next 游标：翻页没有深度限制", {"type": "string"}),
                               _HIDE],
                "responses": {"200": {"description": "query, total, total_reports, offset, sort, group, next, "
                                                     "hits 或 reports, facets, report_facets, facet_options"},
                              "400": _ERROR}}},
            "/api/export": {"get": {
                "summary": "导出全部匹配段落（流式，无上限）",
                "parameters": [_Q, *_FILTERS,
                               _param("sort", "排序", {"type": "string", "enum": list(SORTS)}), _HIDE,
                               _param("format", "csv：UTF-8 带 BOM 与表头；jsonl：每行一个对象",
                                      {"type": "string", "enum": list(EXPORT_FORMATS)}, "csv")],
                "responses": {"200": {"description": "列：" + ", ".join(EXPORT_FIELDS)}, "400": _ERROR}}},
            "/api/reports": {"get": {
                "summary": "浏览报告（无需查询）",
                "parameters": [*_FILTERS,
                               _param("sort", "排序（未知年份排在最后）", {"type": "string",
                                      "enum": ["-year", "year", "title"]}, "-year"),
                               _param("limit", "每页条数", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, 50),
                               _param("offset", "偏移量", {"type": "integer", "minimum": 0}, 0),
                               _param("format", "给出时导出全部符合的报告", {"type": "string",
                                      "enum": list(EXPORT_FORMATS)})],
                "responses": {"200": {"description": "total, offset, reports"}, "400": _ERROR}}},
            "/api/trend": {"get": {
                "summary": "趋势：每个查询逐年的段落数、报告数和每万字段落数",
                "parameters": [{**_Q, "description": "查询（可重复，最多 5 个）", "explode": True,
                                "schema": {"type": "array", "maxItems": 5, "items": {"type": "string"}}}, *_FILTERS,
                               _param("format", "给出 csv 时以 CSV 下载", {"type": "string", "enum": ["csv"]})],
                "responses": {"200": {"description": "years, corpus_chars, series: [{q, passages, reports, "
                                                     "per_10k_chars}]"}, "400": _ERROR}}},
            "/api/reports/{report_id}": {"get": {
                "summary": "一份报告：元数据、副本、目录与段落",
                "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "report_id, title, year, kind, copies, sections, passages"},
                              "404": _ERROR}}},
        },
    }


def accepted(path: str) -> set[str]:
    """The query parameters the document lists for one endpoint."""
    return {p["name"] for p in document()["paths"][path]["get"]["parameters"] if p["in"] == "query"}
