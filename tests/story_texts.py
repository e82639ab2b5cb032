"""Article texts for the story tests, written for this project (facts: the May 2023 Belgorod raid)."""
from __future__ import annotations

RAID = (
    "Armed Russian opponents of the Kremlin said on Monday that they had crossed the border from Ukraine "
    "into the Belgorod region and taken control of the village of Kozinka. "
    "The Freedom of Russia Legion and the Russian Volunteer Corps, two groups made up of Russian citizens "
    "who fight on the Ukrainian side, posted videos that they said showed their fighters near a border post. "
    "The regional governor, Vyacheslav Gladkov, said a sabotage group had entered the Graivoron district "
    "and that the army and border guards were working to push it back. "
    "He told residents of several villages close to the frontier to leave their homes for the time being, "
    "and buses were sent to take people to temporary shelters in the city of Belgorod. "
    "Officials in Moscow described the attackers as Ukrainian saboteurs, while Kyiv said the fighting was "
    "an internal Russian affair carried out by Russian citizens. "
    "Ilya Ponomarev, a former member of the Russian parliament who lives in Kyiv and speaks for the legion, "
    "said the aim of the operation was to show that the Russian state could not protect its own border. "
    "Independent confirmation of the claims made by either side was not possible on Monday evening."
)

RAID_UPDATE_1 = RAID + (
    " Later on Monday the Russian defence ministry said that a counter-terrorist operation regime had been "
    "declared across the whole Belgorod region, giving the security services wider powers. "
    "Local officials reported that several houses and an administrative building had been damaged."
)

RAID_UPDATE_2 = RAID_UPDATE_1 + (
    " On Tuesday the ministry said its forces had defeated the group and pushed the survivors back into "
    "Ukraine, a claim the legion rejected in a statement posted on its channel."
)

SHELLING = (
    "Shelling damaged homes and a school in the town of Shebekino on Thursday, the regional governor said, "
    "as residents queued for buses taking them away from the border area. "
    "Windows were blown out in several apartment blocks, and a power line was cut, leaving part of the town "
    "without electricity for most of the day. "
    "Emergency workers cleared glass from the streets while volunteers handed out water and bread. "
    "The governor said the evacuation of children from the town and the nearby villages would continue "
    "over the weekend, and that temporary housing had been found for several hundred families. "
    "Schools in the district moved their final exams online, and the local hospital postponed planned "
    "operations so that its surgeons could treat the injured. "
    "Shebekino, a town of about forty thousand people, lies a few kilometres from the Ukrainian border "
    "and has been hit repeatedly since the spring."
)

GAS = (
    "European gas prices fell to their lowest level in two years on Wednesday as storage sites across the "
    "continent filled earlier than usual and demand from industry stayed weak. "
    "The benchmark Dutch contract dropped by almost six per cent in morning trading, extending a slide that "
    "began in the winter, when mild weather left far more gas in storage than traders had expected. "
    "Analysts said that a cool summer or an outage at a large liquefied natural gas plant could still push "
    "prices up again, but that the risk of shortages next winter now looked small. "
    "Households will not feel the fall at once, because most suppliers buy their gas months in advance."
)

BANNER = (
    "We use cookies to personalise content and ads and to analyse our traffic. "
    "By continuing to browse this site you consent to our use of cookies as described in our privacy policy. "
    "Subscribe now to continue reading: subscribers get unlimited access to every article, the daily newsletter "
    "and our premium content archive. Already a member? Sign in to your account. "
    "This content is for subscribers only. All rights reserved. "
    "Please disable your ad blocker to support independent journalism and keep reading for free."
)

RAID_RU = (
    "Вооружённые российские противники Кремля заявили в понедельник, что перешли границу с Украиной и "
    "заняли село Козинка в Белгородской области. Легион «Свобода России» и Русский добровольческий корпус "
    "опубликовали видео, на которых, по их словам, их бойцы находятся у пограничного пункта. "
    "Губернатор Вячеслав Гладков сообщил, что в Грайворонский округ вошла диверсионная группа и что армия "
    "и пограничники вытесняют её. Он призвал жителей нескольких приграничных сёл временно покинуть дома, "
    "за людьми отправили автобусы. Илья Пономарёв, бывший депутат Государственной думы, живущий в Киеве, "
    "заявил, что цель операции — показать, что государство не способно защитить собственную границу. "
    "Независимо проверить заявления сторон в понедельник вечером было невозможно."
)


def syndicated(text: str, outlet: str, dateline: str = "MOSCOW") -> str:
    """A copy as another outlet runs it: its own dateline and credit line, the same story."""
    return f"{dateline} ({outlet}) — {text} Reporting by the {outlet} desk; editing by the night team."


def paywalled(lede: str) -> str:
    """A page whose extracted text is a short lede drowned in cookie and paywall furniture."""
    return f"{lede} {BANNER}"
