"""Small reports written for the tests, and a way to put them in a folder."""

from __future__ import annotations

from pathlib import Path

#: Three small reports: simplified and traditional, full-width and half-width, the section types the tests ask for.
MINI = {
    "a.txt": "2021年度县科技局局长述职报告\n各位领导、同志们：\n一、加强理论学习\n坚决做到“两个维护”，深入开展主题教育。\n"
             "二、履职尽责\n全县ＧＤＰ增长６.５％，招商引资到位资金十亿元。\n三、廉洁自律\n严格落实中央八项规定精神，不收受礼品礼金。",
    "b.txt": "2022年度鄉鎮黨委書記述職報告\n一、堅持政治引領\n堅決做到兩個維護，把黨的政治建設擺在首位。\n二、存在問題\n"
             "招商引資工作力度不夠，GDP總量偏小。\n三、下一步打算\n明年將重點抓好鄉村振興和營商環境。",
    "c.txt": "2023年县商务局工作总结\n一、主要工作\n招商工作成效明显，引进项目十二个；资金到位情况良好。\n"
             "二、不足\n招商队伍建设有待加强，专业人才仍然缺乏，招商引资的资金保障还需要进一步强化。\n"
             "三、明年工作打算\n持续优化营商环境，做好招商引资。",
}


def write_reports(folder: Path, reports: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
