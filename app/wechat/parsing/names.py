"""Company and contact names (surnames in data/surnames.txt)."""

from __future__ import annotations

import re

from app.wechat.parsing.data import read_sections
from app.wechat.parsing.industry import _INDUSTRY_KNOWN
from app.wechat.parsing.result import _State
from app.wechat.parsing.text import _HAS_UPPER, _MASK, _is_cjk

_COMPANY_SUFFIX = re.compile(
    r"(?:集团股份有限公司|股份有限公司|有限责任公司|集团有限公司|有限公司|股份公司)"
    r"(?:[\u4e00-\u9fff]{2,4}?(?:分公司|子公司|办事处))?|"  # …有限公司株洲分公司
    r"事务所(?:[\u4e00-\u9fff]{2,4}?分所)?|"  # …律师事务所株洲分所
    r"集团(?!有限|股份|公司)|科技(?![园城企型含]|有限|股份|公司|集团)|公司|股份(?![制有合公])|"
    r"厂(?![房区址家长商里内子矿方])|商行|工作室|(?:研究院|研究所|设计院|事务所)(?:有限公司|有限责任公司)?|"
    r"合作社"
)
# Leading words that are not part of a company name (我们是 / 来自 / 公司名 ...).
_COMPANY_LEAD = re.compile(
    r".*(?:我是|我们是|我们|我司|本公司|我公司|敝公司|我所|本所|这边是|这里是|这边|来自|代表|公司名称|公司名|"
    # 兹有X公司, 受X公司委托, 台中之X公司 (not 轮之道: 之 inside a name)
    r"兹有|受|(?<=[市省县])之|(?<=台北|台中|台南|高雄|桃园|新竹|香港|澳门)之|"
    r"企业名称|单位名称|名称|单位|你好|您好|是|为|在|的|叫做|名叫|叫|由|系|经)"
)
_PLAIN_SUFFIXES = frozenset({"公司", "厂", "科技", "集团", "商行", "合作社", "股份"})
_GENERIC_LEAD = re.compile(
    r"(?:一家|一个|这家|那家|该|本|贵(?![州阳])|小型|中型|大型|某|我们|我|你们|咱们|他们|初创|创业|本地|"
    r"外资|民营|国有|上市|科技型|高新技术)+"
)
# A name holding one of these is a sentence, not a company ("想建个新厂", "注册公司").
_NOT_IN_NAME = re.compile(
    r"[想要租买找个在需请问吗呢吧啊了或拟]|建[个厂房设]|[兴新筹扩]建|可以|能否|开[个家设]|设立|设厂|购地|注册|成立|和我"
    r"|适合|有没有|那边|这边"  # "有没有适合做食品厂的厂房": a question about a plant, no name
    r"|[设建]第"  # 在大陆设第二工厂: a plan, not a name
    r"|不方便|不便|不想|不愿|透露|保密|说公司|不说|不讲"  # 不方便说公司: declining to name it
    r"|打算|迁厂|搬厂|有厂"  # 打算迁厂到株洲, 在越南有厂: a plan, a fact
    r"|佢"  # 佢哋公司: their firm, in Cantonese
)
# A place before 公司 describes where the prospect is from ("香港贸易公司"), it names nothing.
_REGIONS = frozenset(read_sections("regions.txt")["regions"])
_REGIONS_LATIN = frozenset(w.lower() for w in read_sections("regions.txt")["regions_latin"])
# "深圳一家跨境电商公司": whatever precedes 一家 is where the company is, not its name.
_ONE_OF = re.compile(r".*(?:一家|一个|一间|这家|那家)")
_COMPANY_COLON = re.compile(
    r"(?:公司名称|公司名|企业名称|单位名称|公司|单位|company name|company)\s*"
    r"(?:(?<=公司)[，,]\s*(?=叫))?"  # 一家做陶瓷的公司，叫华联陶瓷
    # "company name zhuzhou yuanfeng electric motor co ltd": the words follow the label
    r"(?:[:]|叫做|叫|名叫|名字叫|名称是|名字是|(?<=company)(?P<is_form>(?: name)? is)(?= )|"
    r"(?<=company name)(?= (?!is |was |will )[a-z]))\s*"
    r"(?P<name>"
    # "Company: FreshWay Foods Ltd., contact …": a Latin name runs over its spaces to the
    # clause's end ("Co., Ltd." included)
    r"[a-z0-9][a-z0-9&'\-. ()]{0,50}?(?:(?:co|pvt|pte|pty)\.?,?\s?ltd\.?|"
    r"(?=\s*(?:[,;，；。!?！？]|$|\.\s+(?!ltd|limited|co\b|inc|pvt|llc)[a-z])))"
    r"|[^\s,;。，；!?！？:我\x00]{2,30})"
)
# Legal forms that may follow a firm's own words (Andersen Nordic Trading ApS).
_EN_LEGAL_FORM = (
    r"Co\.?,?[ \t]*Ltd\.?|Pvt\.?[ \t]*Ltd\.?|Ltda\.?|Lda\.?|Ltd\.?|Inc\.?|Corp\.?|LLC|LLP|"
    r"GmbH|ApS|A/S|Oy|AS|AB|AG|BV|"
    r"Pty\.?[ \t]*Ltd\.?|Sp\.[ \t]*z[ \t]*o\.[ \t]*o\.|S\.A\.[ \t]+de[ \t]+C\.V\.|S\.A\.|S\.L\.|SA|"
    r"Limited|plc|PLC"
)
# A firm's name on one line: capitalised words, "&", a region in brackets (Freshway Supply
# Chain (Hunan) Co., Ltd.), never across a line break (a signature's name line, then the firm's).
_EN_COMPANY = re.compile(
    r"(?!(?:Our|My|Your|The|We|This|A|An|Company|Firm)\s)"
    # a word ends with a dot only as an abbreviation (Dr. Reddy's, St. Gobain): "Namaste.
    # Sundaram Polymers Pvt Ltd" starts after the greeting
    # Tecnoplast del Bajío: a lower-case particle between capitalised words
    r"(?:(?:[A-Z][\w&\-]*|[A-Z][a-z]?\.|&|\([A-Z][A-Za-z]+\)|"
    r"(?<![A-Za-z])(?:de|del|da|do|di|du|van|von|der|la|le|y|e)(?=[ \t]+[A-Z]))[ \t]+){1,6}"
    r"(?:Co\.?,?[ \t]*Ltd\.?|Co\.|Company|Ltd\.?|Inc\.?|Corp\.?|Corporation|GmbH|LLC|"
    r"Limited|Group|AB|AG|BV|B\.V\.|NV|N\.V\.|PLC|plc|SpA|S\.p\.A\.|SAS|SRL|Srl|KG|SA|"
    r"S\.A\.[ \t]+de[ \t]+C\.V\.|S\.A\.|"
    r"Pte\.?[ \t]*Ltd\.?|Sdn\.?[ \t]*Bhd\.?|K\.K\.|ApS|A/S|Oy|Sp\.[ \t]*z[ \t]*o\.[ \t]*o\.|"
    r"Pty\.?[ \t]*Ltd\.?|Pvt\.?[ \t]*Ltd\.?|Ltda\.?|Lda\.?|LLP|OOO|Firm|"
    # A firm's name that says what it does: Hanbit Electronics, Nordic Motor Systems.
    r"Electronics|Industries|Technologies|Technology|Manufacturing|Logistics|Motors|Systems|"
    r"Solutions|Materials|Machinery|Trading|Holdings|Enterprises|Engineering|Pharmaceuticals|"
    r"Medical|Pharma|Biotech|Foods?|Automotive|Auto Parts|Energy|Chemicals?|Packaging|Textiles?|"
    r"Plastics|Metals?|Devices|Components|Instruments|Robotics|Semiconductors?|Optics|Precision|"
    r"Tools|Equipment|Apparel|Furniture|Steel|Labs|Laboratories|Ceramics|Batteries|Power|"
    r"Consulting|Consultants|Services|Partners|Capital|Investments?|Ventures|S\.r\.l\.|S\.A\.S\.|"
    r"Lighting|Printing|Software|Digital|Media|Construction|Electric|Electrical|Automation|Mining|"
    r"Garments|Paper|Glass|Rubber|Aerospace|Marine|Healthcare|Cosmetics|Beverages|Toys|Telecom|"
    r"Networks|Supply Chain|Supply|Supplies|JSC|Imports|Exports|Distribution|Hardware|Sourcing|"
    r"Composites|Coatings|"
    r"Paints|Fibers|Films|Sensors|Pumps|Valves|Bearings|Castings|Forgings|Stamping|Moulds|Molds|"
    r"Tooling|Industrial|Agritech|Farms|Apparel)"
    rf"(?:,?[ \t]+(?:{_EN_LEGAL_FORM}))?"
    r"(?:[ \t]+\((?:HK|Hong Kong|Taiwan|Singapore|China|Shenzhen|Hunan|Asia|Europe|USA|UK)\))?"
    r"(?![A-Za-z0-9])"  # "Apex Polymer Solutions LLC拟…": Chinese may follow at once
)
_REGION_AFTER_FORM = re.compile(
    r"(?:Ltd\.?|Inc\.?|LLC|GmbH|Pte|PLC|plc|Corp\.?|Limited|JSC|AG|BV|SA|SAS)"
    r"(?P<region>[ \t]+\([A-Za-z ]+\))\Z"
)
# "I am Jennifer from Bluewave Medical": the firm a person introduces themselves with.
_EN_PERSON_FROM = re.compile(
    r"\b(?:(?i:I am|I'm|this is|my name is|here is|it's|it is)\s+"
    r"(?:Mr\.?\s+|Ms\.?\s+|Mrs\.?\s+|Dr\.?\s+)?"
    r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:from|of|at|with)"
    # "Hello, Mr. Yamamoto of Kansai Seiki": a titled name of a firm
    r"|(?:Mr|Ms|Mrs|Dr)\.?\s+[A-Z][a-z]+\s+of"
    # "We represent Tata Autocomp", "on behalf of Nordic Steel", "I work for Orion Labs"
    r"|(?i:we represent|representing|on behalf of|I work for|I work at|we are from))"
    r"\s+(?:the\s+)?(?P<name>[A-Z][\w&\-]*(?:\s+[A-Z][\w&\-]*){0,4})"
)

_SURNAMES = "".join(read_sections("surnames.txt")["single"])
_COMPOUND_SURNAMES = "|".join(read_sections("surnames.txt")["compound"])
_SURNAME = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
_DEPUTY = r"副(?:总裁|总经理|总监|总|经理|部长|主任|厂长|院长|局长|董事长)"
_TITLES = (
    r"先生|女士|小姐|副(?:总裁|总经理|总监|总|经理|部长|主任|厂长|院长|局长|董事长)|总经理|总监|总裁|董事长|工程师|经理|老板|主任|老师|部长|主管|厂长|秘书|助理|"
    r"协理|襄理|课长|处长|科长|特助|同学|"  # Taiwanese and official titles (林协理, 杨特助)
    r"太(?![\u4e00-\u9fff])|"  # 麦太: Mrs. Mak, as Hong Kong says it
    r"师傅|总工程师|总(?![部价额量计共体投面建产值包装规占成数和结算公厂资收])|"
    r"工(?![厂作业程位人资艺期地具商会种序况时伤龄号段])|董(?!家|事会)|姐(?!妹)|"
    r"生(?![\u4e00-\u9fff])"  # 陈生: how Hong Kong and Guangdong say Mr. Chan
)
# Titles are rarer than surname characters, so they are found first and the surname checked
# behind them (a regex starting with ~400 possible surnames is slow to scan).
_TITLE = re.compile(_TITLES)
_SURNAME_SET = frozenset(_SURNAMES)
_COMPOUND_SET = frozenset(_COMPOUND_SURNAMES.split("|"))
# Roles people give beside their name (我是总经理助理范雪, 黄志强（总经理）), longest first; the
# bot reads answers with them too (app/wechat/conversation.py). Those in ROLES_AFTER_NAME also
# follow a full name; the others after a surname are its title (黄经理).
ROLES = (
    "总经理助理", "董事长助理", "副总经理", "总经理", "董事长", "副总", "负责人", "合伙人", "经理",
    "主管", "助理", "秘书", "总监", "专员", "行政", "采购", "出纳", "会计", "法人", "老板", "股东",
)  # fmt: skip
ROLES_AFTER_NAME = ("副总经理", "总经理", "董事长", "负责人", "老板", "总监")
# A department said before a person (行政部的, 招商中心): the form's 联系人 value drops it too.
DEPARTMENT = r"[\u4e00-\u9fff]{1,8}?(?:部|处|科|室|组|中心|办)的?"
# Words that look like surname + title but are not a person (施工 is building work).
_NOT_NAMES = frozenset({"施工", "车工", "童工", "包工", "农工", "石工", "商工", "钟工", "万工"})
_NAME_MARKER = re.compile(
    r"(?:名字(?:写错了|打错了|错了)?[，,]?\s*(?:应该)?是|名字叫|"  # 名字写错了，是李敏
    r"联系人(?:是|写|填|就写|就填|请写)|联系人|联系我|联络人|请联系|联系窗口|联络窗口|项目负责人|负责人|姓名|称呼|对接人|我叫|叫我|本人|我是|"
    # English words before a Chinese name: "contact person 周杰", "name 李俊"
    r"(?<![a-z])(?:contact person|contact|my name is|name|i am|i'm|this is)(?![a-z]))"
    r"\s*[:]?\s*"
    # 联系人：项目部 蔡总 / 创始人 易晨阳: a department or a role before the person
    rf"(?:(?:{DEPARTMENT}|{'|'.join(ROLES)}|创始人|联合创始人|投资总监|项目经理)\s*(?=[{_SURNAMES}小老]))?"
    # 老王啊, 小李就行: a familiar name, then a particle
    rf"(?P<name>[小老][{_SURNAMES}](?:(?![\u4e00-\u9fff])|(?=[啊呀哈呢吧就嘛]))|"
    # 袁副总裁, 刘副经理: a deputy's whole title, not 袁副
    rf"{_SURNAME}{_DEPUTY}|{_SURNAME}[\u4e00-\u9fff]{{1,2}}?"
    r"(?:先生|女士|小姐|经理|总)?"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|联系|微信|先生|女士|小姐|总|经理|号码|tel"
    # 王姐吧, 李总啊: a particle ends the message or clause, it is not part of the name
    r"|[吧啊呀哈呢嘛](?:[^\u4e00-\u9fff]|$)|就行|就好|就可以|我们|我想|我要|我司|想[租买找要])"
    r")"
)
# "联系人：Lily Wang" / "联系人 Tony": a Latin name after the word for contact.
_NAME_MARKER_LATIN = re.compile(
    r"(?:联系人是?|联络人|联系|联络|对接人|负责人|姓名|称呼)\s*[:]?\s*(?P<name>(?:(?:mr|mrs|ms|miss|dr)\.?\s+)?"
    r"[a-z][a-z'\-]+(?: [a-z][a-z'\-]+)?(?:\s?(?:先生|女士|小姐|总|经理))?)(?![a-z])"
)
_SURNAME_ONLY = re.compile(
    rf"(?:免贵姓|贵姓|我姓|姓)(?P<name>{_SURNAME})"
    r"(?:(?![\u4e00-\u9fff]{2})|(?=电话|手机|联系|微信|号码|座机|[啊呀哈呢的]))"
)
# "我姓黄叫黄志强" / "我姓黄，名志强": a surname, then the full or the given name.
_SURNAME_THEN_NAME = re.compile(
    rf"姓(?P<surname>{_SURNAME})\s*[，,、 ]?\s*(?:全名|名字叫|名叫|叫|名)\s*"
    r"(?!我)(?P<given>[\u4e00-\u9fff]{1,3}?)"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|联系|微信|号码|先生|女士|小姐)"
)
# "我是行政部的唐佳" / "我是总经理助理范雪": a department or a role between 我是 and the name.
_ROLE_THEN_NAME = re.compile(
    rf"(?:我是|我叫|本人是?)(?:他|她|老板|老总)?的?(?:{DEPARTMENT})?"
    rf"(?:{'|'.join(ROLES)})?的?"
    # 我是集团投资部的小贺, 我是行政小汤: a familiar name after the role
    rf"(?P<name>[小老][{_SURNAMES}](?![\u4e00-\u9fff])|{_SURNAME}[\u4e00-\u9fff]{{1,2}})"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|联系|微信|我们|我想)"
)
# "我是华星科技的刘洋" / "华星科技 刘洋": a full name right after the company (masked by then),
# ending the clause.
_NAME_AFTER_FIRM = re.compile(
    rf"\x00(?:的|[\s，,、])*(?P<name>{_SURNAME}[\u4e00-\u9fff]{{1,2}})"
    r"(?=[^\u4e00-\u9fff]|$|电话|手机|联系|微信|号码)"
)
# Words after "X公司的" that start with a surname character but name no one.
_NOT_NAMES_AFTER_FIRM = re.compile(
    r"项目|房子|房东|房租|车间|车位|车辆|钱|董事|谢谢|.+[区县市路镇省园]$"
)
# "…的仓库。—— 李娜": a full name signed after a dash at the end.
_CN_SIGNATURE = re.compile(rf"[—\-–~]+\s*(?P<name>{_SURNAME}[\u4e00-\u9fff]{{1,2}})\s*\Z")
# "Hello, Lisa here": a first name announcing itself (matched on the original text).
_EN_HERE = re.compile(
    r"(?:^|[,.!]\s*|\b(?:[Hh]i|[Hh]ello|[Hh]ey)\s+)"
    # "Mr. Tanaka here": the title is part of the name as written
    # "Sarah O'Connell here", "Fiona Grant from Grant & Hale Logistics Ltd here"
    r"(?P<name>(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+)?[A-Z][a-z]*'?[A-Z]?[a-z]+"
    r"(?: [A-Z][a-z]*'?[A-Z]?[a-z]+)?)"
    r"(?: from [^.,;!?]{2,60})? here\b"
)
# "找老蒋", "找小米就行", "找王经理": who to ask for (a familiar name or a titled surname only:
# 找房子 is looking for a house).
_ASK_FOR = re.compile(
    rf"找(?P<name>[小老][{_SURNAMES}]|{_SURNAME}(?:总|经理|工|姐|哥|老师|先生|女士|小姐|主任))"
    r"(?=[^\u4e00-\u9fff]|$|就|吧|啊|呀|即可)"
)
# 小刘 / 老王: how colleagues and regulars sign off.
_FAMILIAR_NAME = re.compile(rf"(?P<name>[小老][{_SURNAMES}])(?![\u4e00-\u9fff])")
_EN_CONTACT = re.compile(
    r"(?<![a-z])(?:mr|mrs|ms|miss|dr|prof|sr|sra|srta|eng\.)\.?\s+[^\W\d_][^\W\d_\-']{1,20}"
    # O'Brien, D'Souza: an apostrophe inside a family name (not "Lee's")
    r"(?:\s+[^\W\d_](?:[^\W\d_\-]|'(?!s(?![^\W\d_]))(?=[^\W\d_])){1,20}"
    r"(?:-[^\W\d_]{2,20})?)?(?![^\W\d_])"
)
# Zhuzhou's places in Latin letters: "Mr. Wang Tianyuan District" is Mr. Wang.
_PLACES_EN = frozenset(
    (
        "zhuzhou", "tianyuan", "lusong", "hetang", "shifeng", "lukou", "liling", "youxian",
        "chaling", "yanling", "yunlong",
    )
)  # fmt: skip
_THIRD_NAME_WORD = re.compile(r" ([A-Z][a-z]{1,20})(?![^\W\d_])")
# "I'm Tom Becker", "my name is Anna Schmidt": matched on the original text (capitals).
_EN_SELF = re.compile(
    r"(?:\b[Ii]'m|\b[Ii] am|\b[Mm]y name is|\b[Tt]his is|\b[Cc]ontact(?: person)?\s*[:：]?|"
    r"\b[Aa]ttn\.?\s*[:：]?|\b[Rr]each me\s*[:：]|\b[Nn]ame\s*[:：]|\b[Cc]all me|\b[Aa]sk for|"
    r"\b[Mm]y name(?= [A-Z])|"
    # "…, name David Wong, company …": the word alone before a capitalised name
    r"(?<![Cc]ompany )(?<![Cc]ompany's )(?<![Ff]irm's )(?<![Ff]ile )"
    r"\b[Nn]ame(?:'s| is|(?= [A-Z][a-z]))|"
    r"\b[Mm]y colleague,?|\b(?:[Hh]is|[Hh]er) name is|"
    r"\b(?:[Bb]est |[Kk]ind |[Ww]arm )?[Rr]egards\s*[,:]?|"
    r"\b[Ss]incerely(?: yours)?\s*[,:]?|\b(?:[Mm]any )?[Tt]hanks(?: and regards)?\s*,|"
    r"\b[Bb]est(?: wishes)?\s*,|\b[Ii]t's(?= [A-Z][a-z]+ from )|"
    r"\b[Tt]hank you\s*,|\b[Cc]heers\s*,|\b[Yy]ours (?:sincerely|faithfully)\s*[,:]?)\s*"
    # "I'm his assistant Amy Peng": a role between the words and the name
    r"(?:(?:his|her|the|our|their)\s+(?:assistant|secretary|colleague|deputy|PA)\s*,?\s*)?"
    r"(?P<name>(?!Mr\b|Mrs\b|Ms\b|Miss\b|Dr\b|Sr\b|Sra\b|Srta\b|Eng\b|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|"
    r"Tomorrow\b|Today\b|Tonight\b|Anytime\b|Any\b|ASAP\b)"
    # Park Ji-hoon: a hyphenated given name goes on in lower case
    # Nguyen Van Hai: up to three words; M. Laurent Dubois, Frau Keller: the title as written
    r"(?:(?:M\.|Mme\.?|Mlle\.?|Herr|Frau|Sig\.(?:ra)?)\s+)?"
    r"[A-Z][^\W\d_]+(?:[ \-][A-Z][^\W\d_]+){0,2}(?:-[a-z]+)?)(?![^\W\d_])"
)
# "Weber女士" / "Tanaka先生": a Latin family name with a Chinese title.
_LATIN_TITLED = re.compile(r"(?<![a-z])[a-z][a-z\-']{1,20}\s?(?:先生|女士|小姐|总|经理)")
# Words after Mr./Ms. that are not the name's second part ("Ms. Weber, please", "Mr. Li at").
_NOT_SECOND_NAME = frozenset(
    (
        "wants",
        "needs",
        "wishes",
        "plans",
        "requires",
        "asked",
        "said",
        "has",
        "had",
        "likes",
        "prefers",
        "intends",
        "asks",
        "hopes",
        "at",
        "on",
        "in",
        "and",
        "or",
        "please",
        "call",
        "tel",
        "phone",
        "mobile",
        "from",
        "of",
        "will",
        "would",
        "can",
        "could",
        "is",
        "to",
        "via",
        "by",
        "email",
        "who",
        "our",
        "we",
        "for",
        "with",
        "here",
        "speaking",
        "wechat",
        "whatsapp",
        "cell",
        "mob",
    )
)


def _industry_residue(name: str) -> str:
    """What is left of a name once industry words are taken out ("宏达机械" → "宏达")."""
    return _INDUSTRY_KNOWN.sub("", name)


# "我是长沙精工模具的": a firm named without 公司, a place then its own words, said as whose
# one is ("…的").
_FROM_FIRM = re.compile(
    r"(?:我是|我们是|这边是|这里是)(?P<name>(?P<region>[\u4e00-\u9fff]{2,3}?)"
    r"(?P<rest>[\u4e00-\u9fff]{2,10}?))的(?![\u4e00-\u9fff]{0,2}(?:厂房|仓库|土地|地|办公))"
)
_NOT_FIRM_WORDS = frozenset(
    {"本地", "这边", "那边", "当地", "市区", "老板", "朋友", "客户", "企业", "公司"}
)


_TRADE_VERBS = ("生产", "制造", "做", "从事", "经营", "搞", "卖", "开")


def _firm_word(rest: str) -> bool:
    """The words after the place in 我是长沙精工模具的: a firm's own, not 本地 or 一家企业."""
    return (
        not rest.startswith(_TRADE_VERBS)  # 我们是高雄生产紧固件的: what it does, no name
        and rest not in _NOT_FIRM_WORDS
        and rest[:2] not in _NOT_FIRM_WORDS
        and not _NOT_IN_NAME.search(rest)
        and not _ONE_OF.match(rest)
    )


_LATIN_SPACE = re.compile(r"[a-z] [a-z]")
_LATIN_BEFORE_GONGSI = re.compile(r"(?P<name>[a-z][a-z&'\-. ]*[a-z.])\s*公司\Z")


def _extract_company(st: _State) -> None:
    text = st.work
    m: re.Match[str] | None  # the loop's matches, then the searches that may find nothing
    for m in _COMPANY_SUFFIX.finditer(text):
        if m.group() == "公司" and text.startswith("名", m.end()):
            continue  # "更正一下公司名：…": the label of a name, not the end of one
        start = m.start()
        while start > 0 and m.start() - start < 25:
            ch = text[start - 1]
            if not (
                _is_cjk(ch)
                or ch in "()·&"
                or "a" <= ch <= "z"
                # 美国Greenfield Materials公司: the spaces inside a Latin name
                or (ch == " " and start > 1 and _LATIN_SPACE.match(text, start - 2))
            ):
                break
            start -= 1
        lead = _COMPANY_LEAD.match(text, start, m.start())
        if lead:
            start = lead.end()
            if m.group() in _PLAIN_SUFFIXES and text[start - 1] == "的":
                continue  # "台资的电子连接器厂" describes the prospect; it names no company
        bracket = text.rfind("(", start, m.start())
        if bracket != -1 and ")" not in text[bracket : m.start()]:
            start = bracket + 1  # 敝公司（株洲恒力机械有限公司）: the name is inside the bracket
        if _ONE_OF.match(text, start, m.start()):
            continue  # "长沙一家生物科技有限公司" describes the prospect; it names no company
        generic = _GENERIC_LEAD.match(text, start, m.start())
        name_start = generic.end() if generic else start
        name = text[name_start : m.start()]
        if len(name) < 2:
            continue
        if m.group() in _PLAIN_SUFFIXES and (
            len(_industry_residue(name)) < 2
            or _NOT_IN_NAME.search(text, name_start, m.end())
            or _industry_residue(name) in _REGIONS
            # "我们是陶瓷釉料厂": a name starting with its trade describes the firm; a name
            # puts its own word first (宏达机械厂).
            or _INDUSTRY_KNOWN.match(name)
        ):
            # "一家电池厂" / "我们电商公司" describe the prospect, they do not name it.
            continue
        end = m.end()
        latin = _LATIN_BEFORE_GONGSI.search(text, name_start, end)
        if latin and (latin.start() == name_start or text[name_start : latin.start()] in _REGIONS):
            # 美国Greenfield Materials公司: the name is the Latin words, not where it is from
            name_start, end = latin.start(), latin.end("name")
        st.put("company", st.value(name_start, end), name_start, end)
        st.mask(name_start, m.end())
        return
    m = _FROM_FIRM.search(text) if "是" in text and "的" in text else None
    if m and m.group("region") in _REGIONS and _firm_word(m.group("rest")):
        st.put("company", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = _COMPANY_COLON.search(text)
    if m and m.group("is_form") and not st.original[m.start("name")].isupper():
        m = None  # "our company is engaged in …" says what it does; a name has capitals
    if m:
        st.put("company", st.value(m.start("name"), m.end("name")), m.start("name"), m.end("name"))
        st.mask(m.start("name"), m.end("name"))
        return
    if _HAS_UPPER.search(st.original):
        m = _EN_COMPANY.search(st.original)
        if m and _MASK not in st.work[m.start() : m.end()]:
            end = m.end()
            country = _REGION_AFTER_FORM.search(st.original, m.start(), end)
            if country:
                end = country.start("region")  # "… Pte Ltd (Singapore)": where the firm is from
            st.put("company", " ".join(st.original[m.start() : end].split()), m.start(), end)
            st.mask(m.start(), end)
            return
        m = _EN_PERSON_FROM.search(st.original)
        if (
            m
            and _MASK not in st.work[m.start("name") : m.end("name")]
            and not any(w.lower() in _REGIONS_LATIN for w in m.group("name").split())
        ):
            st.put("company", " ".join(m.group("name").split()), *m.span("name"))
            st.mask(*m.span("name"))


def _extract_contact(st: _State) -> None:
    _find_contact(st)
    if "contact_name" in st.fields and _RELAYED.search(st.work):
        _writer_instead_of_boss(st)
    if st.has_latin and "company" not in st.fields and "contact_name" in st.fields:
        _firm_after_name(st)
    if st.has_latin and "company" not in st.fields and "contact_name" in st.fields:
        _firm_as_subject(st)


# "Hanbit Semicon is opening a sales office…", "Carvalho Agro is looking to rent…": a firm
# named as the sentence's subject, when the message names its contact person elsewhere.
_EN_FIRM_SUBJECT = re.compile(
    r"(?:^|[.!?]\s+|,\s+)(?:(?:The\s+)?(?:[Cc]ompany|[Ff]irm)\s+)?"
    r"(?P<firm>(?!(?:Hello|Hi|Dear|Good|We|Our|This|The|It|I|My|Company|Firm)\b)"
    r"[A-Z][\w&\-]+(?: [A-Z][\w&\-]+){1,2}(?: \([A-Z][A-Za-z]{1,10}\))?)\s+"
    r"(?:is|are|wants|would like|intends|plans|needs|seeks|has been|hopes)\b"
)


def _firm_as_subject(st: _State) -> None:
    m = _EN_FIRM_SUBJECT.search(st.original)
    if m is None or _MASK in st.work[m.start("firm") : m.end("firm")]:
        return
    firm = m.group("firm")
    words = {w.lower() for w in firm.replace("(", " ").replace(")", " ").split()}
    person = {w.lower().strip(".") for w in str(st.fields["contact_name"].value).split()}
    if words & person or words <= _REGIONS_LATIN or _NOT_FIRM_TAIL.search(firm.lower()):
        return
    st.put("company", firm, *m.span("firm"))
    st.mask(*m.span("firm"))


# Someone writing for their boss gives their own number ("打我电话", "call me"): the contact is
# the writer who introduces themselves (我是他助理小林, "I'm his assistant Amy Peng"), not the boss.
_RELAYED = re.compile(r"(?:打我|我的|我)(?:电话|手机)|call me|my (?:number|mobile|phone)|reach me")
_BOSS_BEFORE = re.compile(r"(?:老板|老总|领导|boss|manager|director)\s*(?:是|姓|叫)?\s*\Z")


def _writer_instead_of_boss(st: _State) -> None:
    source = st.fields["contact_name"].source
    at = st.original.find(source)
    if at < 0 or not _BOSS_BEFORE.search(st.work, max(0, at - 8), at):
        return
    m = _ROLE_THEN_NAME.search(st.work) if "我是" in st.work or "我叫" in st.work else None
    name = st.value(*m.span("name")) if m else None
    if name is None and st.has_latin:
        m = _EN_SELF.search(st.original)
        name = m.group("name") if m else None
    if name and name != st.fields["contact_name"].value and m is not None:
        del st.fields["contact_name"]
        st.put("contact_name", name, *m.span("name"))


# "Contact: Mr. Ravi Shankar, Alloyco Asia, +65 8273 5160": the firm between name and phone.
_EN_FIRM_AFTER_NAME = re.compile(
    r"\s*,\s*(?P<firm>[a-z][a-z0-9&.'\-]*(?: [a-z][a-z0-9&.'\-]*){0,3})\s*,?\s*"
    r"(?:(?:tel|phone|mobile|mob|cell|whatsapp)\.?\s*:?\s*)?\x00"
)
_JOB_WORDS = re.compile(
    r"(?<![a-z])(?:ceo|cfo|coo|cto|gm|vp|president|founder|owner|manager|director|engineer|"
    r"officer|partner|chairman|chairwoman|buyer|head|lead|assistant|secretary|consultant|"
    r"representative|sales|purchasing|operations|procurement|mobile|tel|phone)(?![a-z])"
)


# A place, a part of a firm or a time said after a name ("Mr. Wang, Tianyuan District, …",
# "Shenzhen Office", "Monday to Friday").
_NOT_FIRM_TAIL = re.compile(
    r"(?<![a-z])(?:district|city|county|zone|park|province|road|street|area|region|office|branch|"
    r"department|dept|hq|headquarters|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"weekdays?|morning|afternoon|evening|anytime|tianyuan|lusong|hetang|shifeng|lukou|liling)"
    r"\.?\Z"
)


def _firm_after_name(st: _State) -> None:
    source = st.fields["contact_name"].source
    at = st.original.find(source)
    if at < 0:
        return
    m = _EN_FIRM_AFTER_NAME.match(st.work, at + len(source))
    if m is None or _JOB_WORDS.search(m.group("firm")) or _NOT_FIRM_TAIL.search(m.group("firm")):
        return
    if all(w in _REGIONS_LATIN for w in m.group("firm").split()):
        return  # "Ms. Li, Zhuzhou, 138…": where she is
    firm = st.original[m.start("firm") : m.end("firm")]
    if all(w[0].isupper() or w[0].isdigit() or w == "&" for w in firm.split()):
        st.put("company", firm, *m.span("firm"))
        st.mask(*m.span("firm"))


def _find_contact(st: _State) -> None:
    text = st.work
    m = _SURNAME_THEN_NAME.search(text) if "姓" in text else None
    if m:
        surname, given = st.value(*m.span("surname")), st.value(*m.span("given"))
        said_whole = given.startswith(surname) and len(given) > len(surname)
        whole = given if said_whole else surname + given
        st.put("contact_name", whole, m.start("surname"), m.end("given"))
        st.mask(m.start("surname"), m.end("given"))
        return
    m = _NAME_MARKER.search(text)
    if m is None and ("我是" in text or "我叫" in text or "本人" in text):
        m = _ROLE_THEN_NAME.search(text)
    if (
        m is None
        and st.has_latin
        and ("人" in text or "姓名" in text or "称呼" in text or "联" in text)
    ):
        m = _NAME_MARKER_LATIN.search(text)
    if m:
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    for m in _TITLE.finditer(text):
        start = m.start()
        if start >= 2 and text[start - 2 : start] in _COMPOUND_SET:
            start -= 2
        elif start >= 1 and text[start - 1] in _SURNAME_SET:
            start -= 1
        else:
            continue
        if text[start : m.end()] in _NOT_NAMES:
            continue
        full = start - 2
        if (
            full >= 0
            and text[full] in _SURNAME_SET
            and _is_cjk(text[full + 1])
            and (full == 0 or not _is_cjk(text[full - 1]))
        ):
            start = full  # "，陈大文先生": a full name standing alone keeps its given name
        st.put("contact_name", st.value(start, m.end()), start, m.end())
        st.mask(start, m.end())
        return
    m = _NAME_AFTER_FIRM.search(text) if _MASK in text and "company" in st.fields else None
    if m and not _NOT_NAMES_AFTER_FIRM.match(m.group("name")):
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = _ASK_FOR.search(text) if "找" in text else None
    if m:
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = _SURNAME_ONLY.search(text) if "姓" in text else None
    if m is None and ("小" in text or "老" in text):
        # 小刘 / 老王 standing alone, not the end of a longer word (大小王).
        m = next(
            (
                f
                for f in _FAMILIAR_NAME.finditer(text)
                if not f.start() or not _is_cjk(text[f.start() - 1])
            ),
            None,
        )
    if m is None and ("—" in text or "-" in text or "–" in text or "~" in text):
        m = _CN_SIGNATURE.search(text)
    if m:
        st.put("contact_name", st.value(*m.span("name")), *m.span("name"))
        st.mask(*m.span("name"))
        return
    if not st.has_latin:
        return
    m = _EN_HERE.search(st.original) if " here" in text else None
    if m and _MASK not in text[m.start("name") : m.end("name")]:
        st.put("contact_name", m.group("name"), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = (
        _LATIN_TITLED.search(text)
        if "先生" in text or "女士" in text or "小姐" in text or "总" in text or "经理" in text
        else None
    )
    if m:
        st.put("contact_name", st.value(m.start(), m.end()), m.start(), m.end())
        st.mask(m.start(), m.end())
        return
    m = (
        _EN_SELF.search(st.original)
        if "i'm" in text
        or "i am" in text
        or "name" in text
        or "this is" in text
        or "contact" in text
        or "reach me" in text
        or "attn" in text
        or "regards" in text
        or "sincerely" in text
        or "yours" in text
        or "thank" in text
        or "cheers" in text
        or "best" in text
        or "it's" in text
        or "call me" in text
        or "ask for" in text
        or "colleague" in text
        else None
    )
    if m and _MASK not in text[m.start("name") : m.end("name")]:
        st.put("contact_name", m.group("name"), *m.span("name"))
        st.mask(*m.span("name"))
        return
    m = _EN_CONTACT.search(text)
    if m:
        start, end = m.start(), m.end()
        words = text[start:end].split()
        if len(words) == 3 and (words[2] in _NOT_SECOND_NAME or words[2] in _PLACES_EN):
            end = start + text[start:end].rindex(words[2])
            while text[end - 1] == " ":
                end -= 1
        elif len(words) == 3:
            third = _THIRD_NAME_WORD.match(st.original, end)
            if (
                third
                and third.group(1).lower() not in _NOT_SECOND_NAME
                and not _NOT_SIGNATURE.search(text, end, third.end() + 12)
            ):
                end = third.end()  # Dr. Lim Wei Ming: a third word, capitalised as written
        value = " ".join(st.original[start:end].split())
        st.put("contact_name", value, start, end)
        st.mask(start, end)
        return
    if " " in text and _MASK in text:
        # "…, Sophie Tremblay, +1 438 219 7752": a name right before the phone (and the firm)
        for m in _EN_NAME_BEFORE_PHONE.finditer(text):
            group = "one" if m.group("one") else "name"
            name = st.original[m.start(group) : m.end(group)]
            words = name.split()
            if (
                all(w[0].isupper() and not w.isupper() for w in words)
                and not _NOT_SIGNATURE.search(m.group(group))
                and not any(w in _NOT_SECOND_NAME for w in m.group(group).split())
                and not (group == "one" and m.group(group) in _NOT_FIRST_NAME)
            ):
                st.put("contact_name", name, *m.span(group))
                st.mask(*m.span(group))
                return
        m = _EN_NAME_AFTER_PHONE.search(st.original)
        # the digit before the bracket must be the phone's (masked by then), not a figure's
        if m and text[m.start()] == _MASK and standalone_latin_name(m.group("name")):
            st.put("contact_name", m.group("name"), *m.span("name"))
            st.mask(*m.span("name"))
            return
    if " " in text:
        m = _EN_SIGNATURE.search(st.original) or _EN_DASH_NAME.search(st.original)
        if (
            m
            and _MASK not in text[m.start("name") : m.end("name")]
            and not _NOT_SIGNATURE.search(text, m.start("name"), m.end("name"))
        ):
            st.put("contact_name", m.group("name"), *m.span("name"))
            st.mask(*m.span("name"))


# "…, +44 20 7946 0958, James Wilson.": a name signed at the end of an English message.
_EN_SIGNATURE = re.compile(
    r"(?:[,;.!]\s*|\d\s+|[-—–]\s*|^)(?P<name>[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,2})"
    # "John Smith, CEO" / "Li Na - Sales Director": a job title may follow the name.
    r"(?:\s*[,\-|/]\s*(?:[A-Z][A-Za-z&]*\s+){0,3}(?:CEO|CFO|COO|CTO|GM|VP|President|Founder|"
    r"Owner|Manager|Director|Engineer|Officer|Partner|Chairman|Chairwoman|Buyer))?\.?\s*\Z"
)
# "Marco Bellini, Bellini Ceramiche Srl, +39 347 512 8830": two or three words standing on
# their own right before the phone (masked by then), a firm between them maybe.
_EN_NAME_BEFORE_PHONE = re.compile(
    # "Call Tom Harlow on +44 …", "call Lily 138 …": after call / contact one word will do
    r"(?:(?<![a-z])(?:call|contact|ask\s+for|reach)\s+(?P<one>[a-z][a-z'\-]+)\s+(?:on\s+|at\s+)?\x00|"
    r"(?:^|[,;.!?:]\s*|\n\s*|(?<![a-z])(?:call|contact|ask\s+for|reach)\s+)"
    r"(?P<name>(?!(?:call|contact|reach|ask|please|pls)\s)[a-zß-ÿā-žı][a-zß-ÿā-žı'\-]+"
    r"(?: (?!on |at )[a-zß-ÿā-žı][a-zß-ÿā-žı'\-]+){1,2})\s*[,:\-–]?\s*(?:(?:on|at)\s+)?"
    r"(?:\x00[\x00 .&]*\s*,?\s*)?(?:(?:tel|phone|mobile|mob|cell|whatsapp|wechat)\.?\s*:?\s*)?\x00)"
)
# "Reach me at +1 201 525 0091 (Jennifer Cole)": the name in brackets after the number.
_EN_NAME_AFTER_PHONE = re.compile(r"[0-9]\s*\((?P<name>[A-Z][a-z]+(?: [A-Z][a-z'\-]+){1,2})\)")
# Words after "call" that are not a first name ("call us", "call me", "call anytime").
_NOT_FIRST_NAME = frozenset(("us", "me", "him", "her", "them", "anytime", "now", "today", "back"))
# "… +86 177 7312 0846 - Anna": a first name alone, signed after a dash at the very end.
_EN_DASH_NAME = re.compile(r"\s[-–—]+\s*(?P<name>[A-Z][a-z]{1,20})\s*[.!]?\s*\Z")
# Capitalised words at the end that are a place, a firm or a courtesy, not a person.
_NOT_SIGNATURE = re.compile(
    r"(?<![a-z])(?:district|city|county|zone|province|china|zhuzhou|hunan|hong|kong|"
    # a park is a place after words such as these; Park alone is also a family name
    r"(?:industrial|science|tech|hi-tech|high-tech|business|innovation|eco|software|tianyuan|"
    r"lusong|hetang|shifeng|lukou|liling|jinshan|industry|the|our|your)\s+park|"
    r"taiwan|germany|japan|korea|singapore|team|group|ltd|limited|inc|gmbh|company|co|"
    r"thank|thanks|regards|best|kind|good|day|morning|afternoon|evening|dear|sir|madam|"
    r"hello|hi|please|welcome|sales|office|department|manager|director|electronics|industries|"
    r"technologies|technology|manufacturing|logistics|motors|systems|solutions|materials|"
    r"machinery|trading|holdings|enterprises|engineering|pharmaceuticals|"
    # firms' legal forms and trade words (Ferrovia Engenharia Ltda, Pinecrest Home Goods)
    r"ltda|lda|srl|spa|bv|nv|ag|ab|oy|kk|plc|llc|llp|pte|pvt|sas|sarl|kg|corp|corporation|"
    r"goods|foods|capital|labs|partners|ventures|works|studio|studios|international|global|"
    r"tech|energy|software|glass|tiles|textiles|plastics|metals|chemicals|automotive|"
    r"electric|electrical|electronic|power|robotics|medical|devices|packaging|furniture|"
    r"ceramics|apparel|garments|batteries|components|parts|equipment|instruments|precision|"
    r"construction|consulting|services|investment|investments|fund|bank|"
    r"warehouse|factory|storage|office|space|land|plant|workshop|building)(?![a-z])"
)


# A Chinese person's name standing alone: a surname and one or two given characters. Words
# that read so but are replies, places or things (方便, 谢谢你, 高新区, 房租呢) end in a character
# no given name ends in, or are listed.
_STANDALONE_NAME = re.compile(
    rf"(?:{_COMPOUND_SURNAMES})[\u4e00-\u9fff]{{1,2}}|[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}"
)
_NOT_NAME_ENDINGS = frozenset(
    "吗呢吧啊呀哦了的么区县市镇乡村园厂库房地楼层费价钱元块万平亩米号路街道港站场所间室处期"
)
_NOT_STANDALONE = frozenset(
    {
        "方便", "麻烦", "谢谢", "项目", "费用", "房租", "安排", "马上", "关注", "申请", "查询",
        "解决", "任何", "周末", "简单", "常规", "包括", "尚未", "明白", "江苏", "金融", "安全",
        "文件", "管理", "季度", "程序", "范围", "齐全", "关于", "尤其", "连续", "车位", "冷库",
        "方案", "左右", "毕业", "宁可", "陆续", "向往", "严格", "高新", "高铁", "金额", "石头",
        "卫生", "宫殿", "易懂", "华为", "柯达", "林业", "蓝色", "白色", "黄色", "龙头", "万达",
    }
)  # fmt: skip


def standalone_name(text: str) -> str | None:
    """`text` (stripped, no punctuation) when it is only a Chinese person's name such as
    王建国 or 欧阳娜; None for anything else."""
    if not _STANDALONE_NAME.fullmatch(text) or text[-1] in _NOT_NAME_ENDINGS:
        return None
    return None if text in _NOT_STANDALONE or text[:2] in _NOT_STANDALONE else text


# Lee Min-ho, João Santos
_LATIN_FULL_NAME = re.compile(
    r"[A-ZÀ-ÞĀ-Ž][a-zß-ÿā-žı]+(?: [A-ZÀ-ÞĀ-Ž][a-zß-ÿā-žı']+|-[A-Za-zÀ-ÿĀ-ž][a-zß-ÿā-žı']+){1,2}"
)


def standalone_latin_name(text: str) -> str | None:
    """`text` when it is only a person's name in Latin letters (Erik Larsson, Mary-Ann Lee),
    not a place, a firm or a courtesy (Tianyuan District, Good Morning)."""
    text = text.strip()
    if not _LATIN_FULL_NAME.fullmatch(text) or _NOT_SIGNATURE.search(text.lower()):
        return None
    return text
