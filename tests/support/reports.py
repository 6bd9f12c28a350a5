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


#: Boilerplate that several of ``AUTHORED`` hold word for word: in 4, 3 and 2 reports.
COMMON = {
    "theory": "我们坚持以习近平新时代中国特色社会主义思想为指导，认真学习贯彻党的二十大精神，牢固树立四个意识，"
              "坚定四个自信，始终在思想上政治上行动上同党中央保持高度一致。",
    "discipline": "严格落实全面从严治党主体责任，认真执行中央八项规定及其实施细则精神，坚决反对形式主义官僚主义，"
                  "持续营造风清气正的良好政治生态，切实做到廉洁从政、干净干事。",
    "next": "下一步，我将继续深入学习贯彻党的创新理论，进一步改进工作作风，提高履职能力，以更加饱满的精神状态"
            "和更加务实的工作作风，推动各项工作再上新台阶。",
}
_T, _D, _N = COMMON["theory"], COMMON["discipline"], COMMON["next"]

#: Six reports whose titles say who wrote them (职务, 层级, and for some 地区), sharing ``COMMON``'s passages.
AUTHORED = {
    "anji.txt": f"2019年度浙江省安吉县县长述职报告\n一、加强政治建设\n{_T}\n二、履职尽责\n"
                "全县完成地区生产总值四百八十亿元，竹产业和白茶产业带动农民增收，新建美丽乡村精品村十二个，"
                f"生态环境质量保持全省前列。\n三、廉洁自律\n{_D}",
    "city.txt": f"2020年度江苏省某市市长述职报告\n一、加强政治建设\n{_T}\n二、工作成效\n"
                "全市规模以上工业增加值增长八个百分点，新开工重大产业项目六十三个，城市轨道交通二号线建成通车，"
                f"新增城镇就业五万人。\n三、廉洁自律\n{_D}\n四、下一步打算\n{_N}",
    "farm.txt": f"2021年度浙江省某县农业农村局局长述职报告\n一、加强政治建设\n{_T}\n二、工作成效\n"
                "全县粮食播种面积稳定在三十万亩，建成高标准农田一万二千亩，培育家庭农场二百一十家，"
                f"农村集体经济收入全部超过五十万元。\n三、下一步打算\n{_N}",
    "town.txt": f"2022年度湖南省某某镇党委书记述职报告\n一、加强政治建设\n{_T}\n二、工作成效\n"
                "全镇完成油茶低改三千亩，修复山塘水库十四座，集镇污水管网全部接通，"
                "调处化解矛盾纠纷一百二十件，没有发生越级上访。",
    "school.txt": "2023年度某县教育局局长述职报告\n一、工作成效\n"
                  "全县新建改扩建中小学校九所，新增学位四千八百个，乡村教师周转宿舍全部投入使用，"
                  f"义务教育优质均衡发展通过省级评估。\n二、廉洁自律\n{_D}",
    "village.txt": "2023年度某某村党支部书记述职报告\n一、工作成效\n"
                   "带领村民流转土地八百亩发展葡萄种植，村集体经营性收入达到六十五万元，"
                   "硬化通组道路四公里，安装太阳能路灯一百二十盏。",
}
