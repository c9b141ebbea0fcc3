"""Industry: known terms (data/industries.txt), or what follows 做/从事/主营."""

from __future__ import annotations

import re

from app.wechat.parsing.data import read_sections
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _trie_pattern

_INDUSTRY_LISTS = read_sections("industries.txt")
_INDUSTRY_SUFFIX = "|".join(_INDUSTRY_LISTS["suffix"])
# In a bare mention, 生产 and 制造 after a term are usually "生产线"/"制造基地", not the trade.
_SCAN_SUFFIX = _INDUSTRY_SUFFIX.replace("生产|", "")
_STRONG = sorted(_INDUSTRY_LISTS["strong"], key=len, reverse=True)
_WEAK = sorted(_INDUSTRY_LISTS["weak"], key=len, reverse=True)
_WEAK_SET = frozenset(_WEAK)
_INDUSTRY_SCAN = re.compile(
    # "T(?:T)*" rather than "(?:T)+": the engine can then skip ahead on the first character.
    f"{_trie_pattern(_STRONG)}(?:{_trie_pattern(_STRONG)})*"
    f"(?:{_trie_pattern(_SCAN_SUFFIX.split('|'))})?"
)
# A term right before these is part of a place's name (服饰产业园, 汽车站), not an industry.
_INDUSTRY_NOT_AFTER = re.compile(
    r"园|区|站|城|楼|仓库|方便|配套|通道|手续|产业园|市场|面积|高度|密度|红线|退让|物|规划|设施"
)
_INDUSTRY_KNOWN = re.compile(_trie_pattern(_STRONG + _WEAK + _INDUSTRY_SUFFIX.split("|")))
_INDUSTRY_TRIGGER = re.compile(
    # The first characters of the verbs, as a class the engine can skip ahead on (a pattern
    # starting with a named group of alternatives is otherwise tried at every position: 3×
    # slower). Keep it in step with the verbs.
    r"(?=[主专从致经做搞生行产项属所研设用业i])"
    r"(?P<verb>(?:主营|主要|业务|研究)(?:方向|领域)(?:为|是)?|主营业务(?:为|是|有|包括)?|主营产品(?:为|是|有|包括)?|主要业务(?:为|是|有|包括)?|"
    r"主导产品(?:为|是|有|包括)?|主要产品(?:为|是|有|包括)?|产品(?:为|是)|经营范围(?:为|是|包括)?|"
    r"(?:研发|设计)(?:及|和|与|、)?(?:生产|制造)|生产制造|"
    r"(?:主要)?做的是|搞的是|从事的是|主要做|专业做|专做|主要从事|专业从事|专注于|专注|致力于|从事|专营|主攻|主营|主要经营|经营|做|搞|"
    r"(?:主要|专业)?生产(?![线基车厂])|用于|行业类别|行业分类|所属行业|所属产业|产业类型|产业类别|行业是|行业为|行业|产业是|产业为|产业|项目是|属于|用途为|用途是|industry)\s*[:]?\s*"
    r"(?P<ind>[^\s,.;!?。，、；！？:()|\x00\d\U0001F300-\U0001FAFF~～]{2,16}?)"
    r"(?=的|之|为主|为核心|行业|企业|公司|厂|项目|生意|领域|方面|想|要|需|找|在|准备|打算|计划|目前|现在|"
    r"有|租|买|扩|来|到|落户|,|[\s.;!?。，、；！？:()|\x00\d\U0001F300-\U0001FAFF~～]|$)"
)
# "主营业务：X", "主要产品为X": the trade follows, said as such.
_PRODUCT_VERBS = (
    frozenset(
        f"{head}{tail}"
        for head in ("主营业务", "主营产品", "主要业务", "主导产品", "主要产品", "产品")
        for tail in ("", "为", "是", "有", "包括")
    )
    | {"经营范围", "经营范围为", "经营范围是", "经营范围包括", "生产制造", "用途为", "用途是"}
    | {
        f"{a}{b}{c}"
        for a in ("主营", "主要", "业务", "研究")
        for b in ("方向", "领域")
        for c in ("", "为", "是")
    }
    | {
        f"{a}{c}{b}"
        for a in ("研发", "设计")
        for b in ("生产", "制造")
        for c in ("", "及", "和", "与", "、")
    }
)
_STRONG_VERBS = frozenset(
    {
        "专营",
        "主攻",
        "做的是",
        "主要做的是",
        "搞的是",
        "从事的是",
        "专做",
        "专业生产",
        "主营",
        "主要从事",
        "专业从事",
        "专注于",
        "专注",
        "致力于",
        "从事",
        "生产",
        "主要生产",
        "经营",
        "主要经营",
        "主要做",
        "专业做",
    }
)
# Words for a space or a plot: "生产厂房" says what the space is for, not the trade.
_PLACE_WORD = re.compile(r"厂房|仓库|车间|办公|土地|用地|场地|地块|工位|[亩平米]")
_INDUSTRY_JUNK_START = re.compile(r"(?:一些|一下|什么|这个|那个|这些|点|些|的是|的|个)")
_ACTIVITIES = frozenset({"研发", "生产", "制造", "销售", "加工", "设计"})
_DOING = frozenset({"完成", "进行", "办理", "负责", "简单", "需要"})
_CENTRE_AFTER = re.compile(r"中心|基地|总部|大楼|楼")
# Spoken fillers before a trade (做那个X的, 搞这个X).
_FILLER = re.compile(r"(?:那个|这个|就是|嗯|呃)+")
_NOT_INDUSTRY = re.compile(
    # 经营副总 is a title, 生产要求 a requirement
    r"[来去了过好完成不没得出]|什么|怎么|事情|生意|项目|基地|规模|能力|产能|要求|副总|经理|总监|总裁|负责人"
)
# "做研发中心" / "做仓库用" say what the space is for, not the prospect's industry.
_SPACE_USE = re.compile(r"中心|基地|总部|办公|仓库|厂房|车间|(?<![利应使])用$")


# A product noun right after a material or trade term, up to a word that ends the phrase.
_PRODUCT_AFTER = re.compile(
    r"(?![的和与及或等类为是在有要想需找做租买建]|企业|公司|集团|厂|项目|行业|产业|生产|基地|园|区|"
    r"产品|领域|方面|业务|相关|方向|中心|总部|大楼|园区|片区|区域|板块|研发|销售|制造|加工|设计|"
    r"设施|入驻|落户|搬迁|开工|投产|工程|扩能|扩建|扩产|技改|升级|改造)"
    # 机器人减速器生产基地, 风电齿轮箱项目: up to three more characters before the project word
    r"(?:[\u4e00-\u9fff]{2}(?=的|企业|公司|厂|项目|行业|生意|,|。|;|，|；|、|\s|$)|"
    r"(?:(?!生产|制造|项目|基地)[\u4e00-\u9fff]){1,3}(?=生产基地|生产线|生产项目|制造基地|项目|基地))"
)
_NOT_PRODUCT = frozenset("的和与及或等类为是在有要想需找做租买建企公集厂项行产生基园区领方业相")
# Words before a term that make a narrower trade of it (高端医疗器械, 特种陶瓷, 新型建材).
_MODIFIERS = frozenset({"高端", "特种", "新型", "绿色", "精密", "先进", "现代"})
# The end of a trade said after 从事/主营 that is not part of it.
_TRIGGER_TAIL = re.compile(
    r"(?:业务|领域|方面|(?:的)?(?:研发|设计|生产|制造|加工|销售)(?:与|和|及|、)?"
    r"(?:研发|设计|生产|制造|加工|销售|服务)"
    # "检测设备研发", "包装材料生产": after a product noun the activity is not part of the trade.
    r"|(?<=设备|材料|器件|产品|部件|零件|系统|装置|仪器|器材|制品|元件|配件|组件)"
    r"(?:研发|生产|制造|销售))$"
)
# English trades (data/industries.txt, [english]); matched as whole words.
_INDUSTRY_LATIN = re.compile(
    r"(?<![a-z])(?:"
    + "|".join(
        re.escape(w.replace("_", " "))
        for w in sorted(_INDUSTRY_LISTS["english"], key=len, reverse=True)
    )
    + r")(?![a-z])"
)


# English: "manufactures precision bearings", "a plant for hydraulic valves", "an EV charger
# maker". The words up to a clause break or a function word are the trade, as written.
_EN_WORDS = r"[a-z0-9][a-z0-9\-]*(?:\s+[a-z][a-z0-9\-]*){0,3}?"
_EN_STOP = (
    r"(?=\s*(?:[.,;:!?()\x00]|$)|\s+(?:and|for|in|at|with|we|our|to|of|from|plant|factory|"
    r"facility|line|on|near|looking|who|that|which|seeking|seeks|wants|needs|requires|plans|"
    r"is|are|would|will|interested|since|by)(?![a-z]))"
)
_INDUSTRY_EN_PATTERNS = (
    re.compile(
        r"(?<![a-z])(?:production|manufacturing|manufacture|making|processing|assembly|"
        r"development|design|distribution)\s+of\s+"
        rf"(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        # (not "power supply needed": a supply of power)
        r"(?<![a-z])(?<!power )(?<!water )(?<!gas )"
        r"(?:manufactures|manufacture|manufacturing|produces|produce|producing|makes|"
        r"make|making|assemble|assembles|assembling|develops|develop|developing|designs|"
        r"builds|build(?!-)|supplies|supply|distributes|distribute|processes|sells|sell|selling|exports|export|"
        r"imports|import)\s+"
        rf"(?!(?:a|an|the|our|it|them|us|you|and|or)\s)(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        r"(?<![a-z])(?:plant|factory|facility|line|base|workshop)\s+for\s+(?:the\s+)?"
        rf"(?:production\s+of\s+|manufacturing\s+of\s+|making\s+)?(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        rf"(?:(?<![a-z])for|:)\s+(?:(?:our|the|an?)\s+)?(?P<ind>{_EN_WORDS})\s+"
        r"(?:production|manufacturing|assembly|business|operations?|team|department|division|"
        r"distribution)(?![a-z])"
    ),
    re.compile(
        r"(?<![a-z])(?:set\s+up|build|establish|open|invest\s+in|start|rent|lease|buy|purchase|"
        r"run|relocate)\s+(?:an?|the|our)\s+(?:new\s+|small\s+|second\s+)?"
        rf"(?P<ind>{_EN_WORDS})\s+(?:plant|factory|production\s+line|facility|unit|mill)(?![a-z])"
    ),
    re.compile(
        rf"(?<![a-z])for\s+(?:an?|the|our)\s+(?:new\s+)?(?P<ind>{_EN_WORDS})\s+"
        r"(?:plant|factory|facility|production\s+line|project|base)(?![a-z])"
    ),
    re.compile(
        r"(?<![a-z])(?:(?:maker|manufacturer|producer|supplier|assembler|importer|exporter|"
        r"distributor|processor)s?\s+of|(?:oem|odm)s?\s+(?:of|for))\s+"
        rf"(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        r"(?<![a-z])(?:business|trade|field|industry)\s+of\s+"
        rf"(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        rf"(?<![a-z])in\s+the\s+(?P<ind>{_EN_WORDS})\s+(?:business|industry|sector|field)(?![a-z])"
    ),
    re.compile(
        rf"(?:^|[.!?;]\s+|(?<![a-z])(?:an?|the|our)\s+)(?P<ind>{_EN_WORDS})\s+"
        r"(?:maker|manufacturer|producer|supplier|assembler|company|firm|business|importer|"
        r"exporter|distributor|trader|wholesaler|retailer|roaster|recycler|fabricator|startup|start-up|brand|specialist|"
        r"provider|operator|group)s?(?![a-z])"
    ),
    re.compile(
        r"(?<![a-z])(?:speciali[sz](?:e|es|ed|ing)|engaged|focus(?:ed|es|ing)?|active)\s+(?:in|on)\s+"
        rf"(?P<ind>{_EN_WORDS}){_EN_STOP}"
    ),
    re.compile(
        # "a factory of 1.2k m² in Lusong for garment sewing", "a site for medical devices":
        # what the space is for, closing its sentence
        r"(?<![a-z])(?:factory|plant|office|warehouse|space|building|workshop|premises|site|land|"
        r"plot|facility)(?![a-z])(?:[^.;!?\n]|\.(?=\d)){0,70}?(?<![a-z])for\s+(?!(?:lease|sale|rent|purchase|"
        r"about|around|approx|our|the|a|an|us|you|it|them|this|that|up|at|least|more|less|"
        r"storage|rental|office|offices|example|instance|one|two|three|four|five|six|several|few|"
        r"some|many|next|now|immediate|sure|free)(?![a-z]))"
        # "for cold storage of seafood": the goods, after "of"
        r"(?:[a-z\-]+\s+)*?(?:[a-z\-]+\s+of\s+)?(?P<ind>(?!of\s)[a-z][a-z\-]+(?:\s+(?!of\s)[a-z][a-z\-]+){0,3})"
        r"(?=\s*[,.;!?]|\s*$)"
    ),
    re.compile(
        r"(?<![a-z])(?:industry|sector|business|products?|project)\s*(?:is|are|include|:)\s*"
        # "our main products are LED drivers and power adapters": the whole list
        rf"(?P<ind>{_EN_WORDS}(?:\s+and\s+{_EN_WORDS})?){_EN_STOP}"
    ),
)
# Every English pattern holds one of these words.
_EN_TRIGGER = re.compile(
    r"manufactur|produc|mak|assembl|develop|design|suppl|distribut|process|sell|port|startup|build|"
    r"trader|roaster|recycler|fabricator|trade|brand|group|plant|oem|odm|factory|facility|line|base|workshop|supplier|"
    r"business|industry|sector|field|for (?:our|the)|speciali|engaged|focus|active|company|firm|"
    r"project|unit|mill|office|warehouse|site|space|premises|plot|land"
)
_EN_LEADING_ADJECTIVE = re.compile(
    r"(?:(?:a|an|the|our|uk|us|eu|german|japanese|chinese|korean|swiss|american|european|"
    r"british|french|"
    r"italian|taiwanese|singaporean|hong kong|local|foreign|leading|global|small|large|big|"
    r"new(?!\s+(?:energy|materials?)(?![a-z]))|"  # "new energy" is the trade's own name
    r"(?!plant-|bio-|water-|oil-|solvent-)[a-z]+-based|based|singapore|germany|japan|korea|taiwan|italy|france|spain|swiss|switzerland|"
    r"dutch|spanish|indian|vietnamese|thai|malaysian|indonesian|australian|canadian|"
    r"danish|swedish|norwegian|finnish|polish|austrian|belgian|czech|turkish|israeli|"
    r"shenzhen|shanghai|beijing|guangzhou|dongguan|suzhou|changsha|hangzhou|ningbo|"
    r"mid-sized|medium-sized|privately-owned|private|state-owned|listed|innovative|"
    r"one\s+of\s+the|largest|biggest|top|major|premium|professional|specialist|specialised|"
    r"specialized|independent|certified|renowned|well-known|established|fast-growing|"
    r"young|family|listed|ready-built|ready|built|standard|modern|existing|vacant|suitable|"
    r"second-hand|multi-storey|single-storey|good|nice|hk|[a-z0-9]+-(?:person|man|people|strong))"
    r"(?:\s+|$))+"
)
# After an English trade word, more words of the same trade ("automotive stamping parts",
# "LED lighting"), up to punctuation or a word that ends the phrase.
_EN_MORE_WORDS = re.compile(
    r"(?:\s+(?!(?:company|firm|group|manufacturer|maker|supplier|producer|plant|factory|"
    r"facility|and|for|in|at|with|is|are|we|our|looking|seeks|needs|wants|interested|needs|"
    r"requires|project|business|industry|sector|to|from|of|on|by|the|a|an|making|production|"
    r"manufacturing|startup|startups|team|hq|office|workshop|warehouse)(?![a-z]))"
    r"[a-z][a-z\-]*){1,3}(?=\s*[,.;:!?()\x00]|\s+(?:company|firm|manufacturer|maker|supplier|"
    r"producer|plant|factory|facility|project|business|industry|sector)(?![a-z]))"
)
_EN_NOT_TRADE = re.compile(
    r"^(?:a|an|the|in|our|my|your|his|her|their|its|core|main|principal|primary|sale|rent|lease|it|"
    r"them|sure|use|space|room|land|money|plans?|we|hi|hello|dear|line|"
    r"register|registering|establish|establishing|open|opening|start|starting|set|"
    r"kind|type|area|one|storage|rental|lease|purchase|projects?|this|that|these|those|"
    r"assembly$|production$|manufacturing$|processing$|"
    r"uk|us|eu|german|japanese|chinese|korean|swiss|american|european|british|french|italian|"
    r"taiwanese|local|foreign|small|large|big|new(?!\s+(?:energy|materials?)(?![a-z]))|young|"
    r"holding$|holdings$|hk|[a-z0-9]+-person|[a-z]+-invested|[a-z]+-owned|needed|required|necessary|"
    # "for our after-sales team": a department, not the firm's trade
    r"after-sales|sales|marketing|support|service|admin|finance|management|"
    r"leading|global|family|listed)"
    r"(?:\s|$)"
)
_EN_PLACE_AFTER = re.compile(r"\s+(?:center|centre|hub|park|zone|cluster|district)(?![a-z])")
_EN_ACTIVITY_TAIL = re.compile(
    r"\s+(?:production|manufacturing|making|assembly|operations?|business|processing|yard|site)$"
)
_EN_LAST_ARTICLE = re.compile(r".*(?<![a-z])(?:a|an|the|our|are|is|am)\s+")
# Chinese projects: "兴建锂电池隔膜生产基地", "项目名称：年产5万吨高性能铝合金型材项目".
_ANNUAL_OUTPUT = (
    r"(?P<output>年产(?:能)?[0-9.一二两三四五六七八九十百千万亿]+\s*[万亿]?\s*"
    r"(?:吨|gw|mw|gwh|台套|套|台|辆|件|片|只|个|平方米|吨/年)?)?"
)
_PROJECT_TAIL = (
    # 加工 stays with the product (食品加工厂, 石英砂深加工项目): it names the trade
    r"(?:产业化项目|产业园项目|产业园|产业基地|(?:智能|绿色|数字化)?(?:研发|生产|制造|组装)*"
    r"(?:项目|基地|生产线|(?<!加)工厂|(?<=加工)厂))"
)
_PROJECT_NAME = re.compile(
    rf"项目名称\s*[:]?\s*{_ANNUAL_OUTPUT}(?P<ind>[^\s,;:。，；\x00]{{2,20}}?){_PROJECT_TAIL}"
)
_PROJECT_BUILD = re.compile(
    r"(?:兴建|新建|建设|建|设立|引进|投资|开发|共建|打造)(?:一个|一条)?"
    rf"{_ANNUAL_OUTPUT}(?P<ind>[\u4e00-\u9fffa-z]{{2,12}}?){_PROJECT_TAIL}"
)
_PRODUCTION_WORD = re.compile(r"生产|制造|加工|组装")
_ORDINAL = re.compile(
    r"第|[一二两三四五六七八九几这那每]个|区域|华[中南东北]|西[南北]|东北|中部|全球|亚太|总部"
)
# "自行车零件厂商": the maker's products.
_MAKER = re.compile(r"(?P<ind>[\u4e00-\u9fffa-z]{2,10}?)(?:厂商|制造商|生产商|供应商|厂家)")
_MAKER_LEAD = re.compile(r".*(?:的|是|为|家|个)")
# Inside a project's words, these start over (投资二亿元建设X → X).
_PROJECT_RESTART = re.compile(r".*(?:兴建|新建|建设|设立|引进|元|亿|万)")


# "我们是一家电动工具公司", "台资的电子连接器厂": the words before the firm say what it makes.
_DESCRIBED = re.compile(
    r"(?:一家|一间|一个|这家|我们是|我们为|我司是|我司为|我司系|本公司是|本公司为|本公司系|是|为|系|的|之)"
    r"(?P<ind>[\u4e00-\u9fffa-z]{2,14}?)"
    r"(?:有限公司|公司|企业|(?<!加)工厂|厂商|厂家|制造商|供应商|生产商|(?<=加工)厂|"
    r"厂(?![房区址长里内子矿方])|行业|产业)"
)
_REGION_WORDS = read_sections("regions.txt")["regions"]
_DESCRIBED_LEAD = re.compile(
    r"(?:一家|一间|一个|这家|的|之|专业|专门|小型|中型|大型|民营|私营|国有|台资|港资|外资|合资|独资|"
    r"上市|高新技术|国家级|知名|领先|创新型|科技型|初创|本土|老牌|传统|省属|市属|县属|国有|国营|央属|"
    r"开(?![关发])|办|" + "|".join(sorted(_REGION_WORDS, key=len, reverse=True)) + r")+"
)
# Words that describe a firm's form, not its trade (香港贸易公司 names no trade; docs/parser.md).
_FIRM_WORDS = frozenset(
    {"科技", "实业", "投资", "发展", "控股", "贸易", "商贸", "集团", "网络", "信息", "企业", "工贸"}
)


# (设 alone is no sentence: 医疗影像设备制造企业 names equipment.)
_NOT_DESCRIBED = re.compile(r"[的我你他她咱们地新老这那]|建设|设立|设厂")


def _extract_industry_described(st: _State) -> bool:
    text = st.work
    for m in _DESCRIBED.finditer(text):
        start, end = m.span("ind")
        lead = _DESCRIBED_LEAD.match(text, start, end)
        if lead:
            start = lead.end()
        if end - start > 2 and text[end - 1] in "大小类":
            end -= 1  # 工具机大厂: a big maker of machine tools; 智能制造类企业: a kind
        ind = text[start:end]
        if (
            len(ind) < 2
            or ind in _FIRM_WORDS
            or (
                ind in _WEAK_SET
                and not m.group().endswith(("行业", "产业"))
                and text[start - 1] not in "开办"  # 开物流公司的: runs a logistics firm
            )
            or _NOT_DESCRIBED.search(ind)
            or _NOT_INDUSTRY.search(ind)
            or _PLACE_WORD.search(ind)
            or _INDUSTRY_JUNK_START.match(ind)
            or _ORDINAL.search(ind)
        ):
            continue
        st.put("industry", st.value(start, end), start, end)
        st.mask(start, end)
        return True
    return False


def _extract_industry_by_pattern(st: _State) -> bool:
    text = st.work
    if "项目" in text or "基地" in text or "生产线" in text or "工厂" in text or "产业园" in text:
        for pattern in (_PROJECT_NAME, _PROJECT_BUILD):
            m = pattern.search(text)
            if m is None:
                continue
            start, end = m.span("ind")
            restart = _PROJECT_RESTART.match(text, start, end)
            if restart:
                start = restart.end()
            ind = text[start:end]
            # "建设X生产项目": a production project names its product even when X is not a
            # known term; a bare "建设X项目" must hold one.
            if len(ind) < 2 or _ORDINAL.search(ind) or _PRODUCTION_WORD.fullmatch(ind):
                continue  # 设立第二个生产基地: which base, not what it makes
            region = _DESCRIBED_LEAD.match(text, start, end)
            if region and end - region.end() >= 2 and "的" not in region.group():
                start = region.end()  # 湖南XX新能源电池回收利用项目: the product, not the place
                ind = text[start:end]
            if pattern is _PROJECT_BUILD and not _INDUSTRY_KNOWN.search(ind):
                # 建设年产五万吨X项目: what a project makes so much of a year is its product
                made = m.group("output") is not None or (
                    _PRODUCTION_WORD.search(text, m.end("ind"), m.end()) is not None
                )
                if not made or _NOT_INDUSTRY.search(ind) or _PLACE_WORD.search(ind):
                    continue
            if _SPACE_USE.search(ind) or _INDUSTRY_JUNK_START.match(ind):
                continue
            st.put("industry", st.value(start, end), start, end)
            st.mask(start, end)
            return True
    if "商" in text or "厂家" in text:
        m = _MAKER.search(text)
        if m:
            start, end = m.span("ind")
            lead = _MAKER_LEAD.match(text, start, end)
            if lead:
                start = lead.end()
            region = _DESCRIBED_LEAD.match(text, start, end)
            if region and end - region.end() >= 2:
                start = region.end()  # 台湾精密模具厂商: the products, not where the maker is
            ind = text[start:end]
            if len(ind) >= 2 and not _NOT_INDUSTRY.search(ind) and not _PLACE_WORD.search(ind):
                st.put("industry", st.value(start, end), start, end)
                st.mask(start, end)
                return True
    if st.has_latin and text.count(" ") >= 3 and _EN_TRIGGER.search(text):
        for pattern in _INDUSTRY_EN_PATTERNS:
            for m in pattern.finditer(text):
                start, end = m.span("ind")
                article = _EN_LAST_ARTICLE.match(text, start, end)
                if article:
                    start = article.end()  # "we are a logistics company": after the article
                lead = _EN_LEADING_ADJECTIVE.match(text, start, end)
                if lead:
                    start = lead.end()  # "Japanese precision gear maker": the trade follows
                ind = text[start:end]
                if not ind or _EN_NOT_TRADE.match(ind) or _INDUSTRY_NOT_TRADE_EN.search(ind):
                    continue
                tail = _EN_ACTIVITY_TAIL.search(text, start, end)
                if tail and tail.start() > start:
                    end = tail.start()  # "for hydraulic valve production": the product
                st.put("industry", _plain_case(st.value(start, end)), start, end)
                st.mask(start, end)
                return True
    return False


_USE_FOR = re.compile(
    r"(?:生产|制造|建设)?(?P<p>.{2,14}?)(?:的)?(?:生产线建设|生产线|生产|制造|建设|项目)?"
)
_LATIN_TAIL = re.compile(r"[a-z][a-z0-9]{1,11}(?![a-z0-9])")
_MAY = ("可以", "能", "能否", "允许", "能不能", "可不可以", "方便")
_MAY_DO = tuple(f"{may}{do}" for may in _MAY for do in ("做", "搞"))
_CLAUSE_CLOSE = re.compile(r"\s*(?:[。，,.!！?？;；~～]|[\U0001F300-\U0001FAFF]|$)")
# 做X that is an act, not a trade (做准备, 做决定).
_NOT_A_BUSINESS = frozenset(
    ("准备", "决定", "参考", "调研", "考察", "对比", "比较", "了解", "打算", "计划", "选择", "评估",
     "预算", "方案", "规划", "登记", "备案", "配套", "装修", "宣传", "推广", "活动")
)  # fmt: skip
_EQUIPMENT = frozenset({"变压器", "配电", "电力", "行车", "起重机", "电梯", "货梯"})
_EQUIPMENT_SIZED = re.compile(
    r"\s*(?:容量|要|需要|要求|至少|不低于|[:])?\s*[\x000-9一二两三四五六七八九十百千]"
)


def _inside_latin_word(text: str, start: int, end: int) -> bool:
    """A Latin term found inside a longer Latin word ("led" in "recycled")."""
    return (
        text[start].isascii()
        and start > 0
        and text[start - 1].isascii()
        and text[start - 1].isalpha()
    ) or (
        text[end - 1].isascii() and end < len(text) and text[end].isascii() and text[end].isalpha()
    )


def _plain_case(words: str) -> str:
    """ "Automotive wiring harness" → "automotive wiring harness"; LED and PCB stay."""
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in words.split())


# Words that make an English phrase a space or a plan, not a trade.
_INDUSTRY_NOT_TRADE_EN = re.compile(
    r"(?<![a-z])(?:sqm|square|sq|m2|mu|acres?|hectares?|factory|warehouse|office|land|plot|"
    r"space|rent|lease|buy|investment|million|billion|plant|facility|site|premises|building|"
    r"workshop|it|them|us|you|\d[\d,.]*)(?![a-z\d\-])"
)


def _extract_industry(st: _State) -> None:
    text = st.work
    m: re.Match[str] | None  # the loops' matches, then a search that may find nothing
    for m in _INDUSTRY_TRIGGER.finditer(text):
        ind = m.group("ind")
        start, end = m.span("ind")
        filler = _FILLER.match(ind)
        if filler and len(ind) - filler.end() >= 2:
            start += filler.end()  # 做那个预制混凝土构件的: a spoken filler, then the trade
            ind = text[start:end]
        if m.group("verb") == "用于":
            # 用于生产高分子材料, 用于陶瓷生产线建设, 用于精密模具生产: the product alone
            use = _USE_FOR.fullmatch(ind)
            if use is None:
                continue
            start, end = m.start("ind") + use.start("p"), m.start("ind") + use.end("p")
            ind = text[start:end]
        if _INDUSTRY_JUNK_START.match(ind):
            continue
        if m.group("verb") in ("做", "搞") and text.endswith(_MAY, 0, m.start()):
            continue  # 可以做喷漆: what may be done there, not what the firm does
        if _SPACE_USE.search(ind):
            continue
        # "做X的" names a line of business even when X is not in the term list (做手工皂的).
        said_as_business = (
            m.group("verb") in ("做", "主要做", "专业做", "搞")
            # 做手工皂的 / 我们做大型钢构件。: the line of business, closing its clause
            and (
                text.startswith("的", end)
                # (可以做喷漆 asks what may be done there, not what the firm does)
                or (
                    _CLAUSE_CLOSE.match(text, end) is not None
                    and not text.endswith(_MAY, 0, m.start())
                )
            )
            and len(ind) <= 6
            and not _NOT_INDUSTRY.search(ind)
            and ind not in _NOT_A_BUSINESS
        ) or (
            # "主营/从事/生产 X": a trade said as such, even one not in the lists.
            (m.group("verb") in _STRONG_VERBS or m.group("verb") in _PRODUCT_VERBS)
            and len(ind) <= 10
            and not _NOT_INDUSTRY.search(ind)
            and not _PLACE_WORD.search(ind)
        )
        if said_as_business or _INDUSTRY_KNOWN.search(ind):
            tail = _TRIGGER_TAIL.search(ind)
            if tail and tail.start() >= 2:
                end = start + tail.start()  # 冷链仓储物流业务, 正极材料研发与生产: the trade
            st.put("industry", st.value(start, end), start, end)
            st.mask(start, end)
            return
    if (
        "项目" in text
        or "基地" in text
        or "生产线" in text
        or "工厂" in text
        or "产业园" in text
        or "商" in text
        or "厂家" in text
        or (st.has_latin and text.count(" ") >= 3)
    ) and _extract_industry_by_pattern(st):
        return
    if (
        "公司" in text or "企业" in text or "厂" in text or "商" in text or "业" in text
    ) and _extract_industry_described(st):
        return
    text = st.work
    for m in _INDUSTRY_SCAN.finditer(text):
        if _INDUSTRY_NOT_AFTER.match(text, m.end()):
            continue
        start, end = m.start(), m.end()
        if _inside_latin_word(text, start, end):
            continue  # "recycled" holds no LED
        if text.endswith(_MAY_DO, 0, start):
            continue  # 可以做喷涂: what may be done there
        if _EQUIPMENT_SIZED.match(text, end) and text[start:end] in _EQUIPMENT:
            continue  # 变压器500kVA: the power a space needs, not what the firm makes
        if (
            end < len(text)
            and text[end] in "、和及与"
            and text[end - 2 : end] in _ACTIVITIES
            and end - start > 3
        ):
            end -= 2  # 铝合金门窗研发、生产、销售为一体: the product, not the first activity
        if text[start] == "家" and start and text[start - 1] in "一这那每几两哪":
            continue  # 一家电子厂: "a firm", not 家电
        if text[max(0, start - 2) : start] in _DOING:
            continue  # 完成装修: a step of moving in, not the trade
        if (
            text[end - 2 : end] in _ACTIVITIES
            and _CENTRE_AFTER.match(text, end)
            and end - start > 3
        ):
            end -= 2  # 新能源汽车研发中心: the field of the centre, not its activity
        if text[max(0, start - 2) : start] in _MODIFIERS:
            start -= 2  # 高端医疗器械, 特种陶瓷: the kind is part of the trade
        elif text[max(0, start - 3) : start] == "高性能":
            start -= 3
        product = (
            _PRODUCT_AFTER.match(text, end)
            if end < len(text)
            and "\u4e00" <= text[end] <= "\u9fff"
            and text[end] not in _NOT_PRODUCT
            else None
        )
        if product:
            end = product.end()  # 不锈钢餐具, 电子烟配件: the product that follows the material
        elif end < len(text) and "a" <= text[end] <= "z" and not text[end - 1].isascii():
            latin = _LATIN_TAIL.match(text, end)
            if latin:
                end = latin.end()  # 新能源电池pack: a Latin word written onto the trade
        elif text[start:end].isascii():
            more = _EN_MORE_WORDS.match(text, end)
            if more:
                end = more.end()  # "LED lighting"
        st.put("industry", st.value(start, end), start, end)
        st.mask(start, end)
        return
    if st.has_latin:
        m = _INDUSTRY_LATIN.search(text)
        while m and _EN_PLACE_AFTER.match(text, m.end()):
            m = _INDUSTRY_LATIN.search(text, m.end())  # "a logistics center" is a use of space
        if m:
            end = m.end()
            more = _EN_MORE_WORDS.match(text, end)
            if more:
                end = more.end()
            st.put("industry", _plain_case(st.value(m.start(), end)), m.start(), end)
            st.mask(m.start(), end)
