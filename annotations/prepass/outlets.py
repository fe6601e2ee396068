"""A maintained list of major news organisations, merged with the outlets of the database.

Matching is on lower-cased names without a leading "the"; keep entries as they are
usually written in running text. Add to ``MAJOR_OUTLETS`` rather than special-casing code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAJOR_OUTLETS = (
    # wires and agencies
    "Reuters", "Associated Press", "AP", "Agence France-Presse", "AFP", "Bloomberg", "Bloomberg News",
    "Dow Jones", "Press Association", "PA Media", "dpa", "ANSA", "EFE", "Kyodo", "Kyodo News",
    "Xinhua", "TASS", "RIA Novosti", "Interfax", "Yonhap", "Anadolu", "Anadolu Agency", "UPI",
    "United Press International", "Ukrinform", "Tasnim", "IRNA", "Fars", "ANI", "Press Trust of India",
    # US broadcasters and papers
    "CNN", "MSNBC", "CNBC", "Fox News", "Fox", "ABC", "ABC News", "CBS", "CBS News", "NBC", "NBC News",
    "NPR", "PBS", "C-SPAN", "Axios", "Politico", "The Hill", "Vox", "BuzzFeed", "BuzzFeed News",
    "HuffPost", "Huffington Post", "The Daily Beast", "Breitbart", "Breitbart News", "Newsmax",
    "New York Times", "The New York Times", "Times", "Washington Post", "The Post", "Wall Street Journal",
    "The Wall Street Journal", "WSJ", "USA Today", "Los Angeles Times", "LA Times", "Chicago Tribune",
    "Boston Globe", "New York Post", "New York Daily News", "Newsweek", "Time", "The Atlantic",
    "The New Yorker", "Mother Jones", "The Intercept", "ProPublica", "Slate", "Salon", "National Review",
    "The Washington Times", "Washington Examiner", "Washington Free Beacon", "Daily Caller",
    "The Daily Caller", "Talking Points Memo", "Yahoo News", "Business Insider", "Insider",
    "Vanity Fair", "Rolling Stone", "Semafor", "The Guardian", "Guardian", "Miami Herald",
    "San Francisco Chronicle", "Houston Chronicle", "Des Moines Register", "Dallas Morning News",
    "Atlanta Journal-Constitution", "Tampa Bay Times", "Star Tribune", "Bloomberg Businessweek",
    "CNN Politics", "Fox Business", "Sky News", "Al Jazeera", "Al Arabiya",
    # UK, Europe and elsewhere
    "BBC", "BBC News", "ITV", "ITV News", "Channel 4 News", "The Times", "The Sunday Times",
    "The Telegraph", "Daily Telegraph", "Financial Times", "FT", "The Economist", "The Independent",
    "Daily Mail", "Mail on Sunday", "The Sun", "Daily Mirror", "Mirror", "Evening Standard",
    "The Observer", "Der Spiegel", "Spiegel", "Die Zeit", "Bild", "Süddeutsche Zeitung",
    "Frankfurter Allgemeine Zeitung", "FAZ", "Le Monde", "Le Figaro", "Libération", "El País",
    "El Mundo", "Corriere della Sera", "La Repubblica", "NRC", "de Volkskrant", "Haaretz",
    "The Times of Israel", "Jerusalem Post", "Kyiv Independent", "Ukrainska Pravda", "Meduza",
    "Kommersant", "Novaya Gazeta", "RT", "Sputnik", "Deutsche Welle", "DW", "France 24", "Euronews",
    "NHK", "South China Morning Post", "Global Times", "CCTV", "The Hindu", "Times of India",
    "Hindustan Times", "NDTV", "Dawn", "The Globe and Mail", "Toronto Star", "CBC", "CBC News",
    "ABC Australia", "The Sydney Morning Herald", "The Australian", "Radio Free Europe",
    "Radio Free Europe/Radio Liberty", "RFE/RL", "Voice of America", "VOA", "Nikkei", "Nikkei Asia",
    "Asahi Shimbun", "Yomiuri Shimbun", "Korea Herald", "Straits Times", "Le Parisien", "Ouest-France",
)  # fmt: skip

MEDIA_HEADS = {
    "newspaper", "paper", "outlet", "network", "broadcaster", "magazine", "tabloid", "daily", "station",
    "channel", "website", "site", "wire", "reporters", "reporter", "journalist", "journalists",
    "correspondent", "columnist", "editor", "editors", "media", "press", "report", "reports", "reporting",
    "investigation", "story", "article", "interview", "broadcast", "podcast", "programme", "program", "show",
}  # fmt: skip


def normalise(name: str) -> str:
    name = " ".join(name.replace("’", "'").split()).strip(" .,;:'\"“”").lower()
    if name.startswith("the "):
        name = name[4:]
    if name.endswith("'s"):
        name = name[:-2]
    return name


class OutletMatcher:
    """Finds outlet names inside spans of text; longest name first."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        names = {normalise(n): n for n in MAJOR_OUTLETS}
        short: dict[str, str | None] = {}
        for n in extra:
            if n and normalise(n):
                names[normalise(n)] = n
                # "Northfield Courier" is "the Courier" in running text (unless two outlets share the word)
                last = n.split()[-1]
                if len(n.split()) >= 2 and len(last) > 3 and last[:1].isupper():
                    short[last] = None if last in short and short[last] != n else n
        self.short = {w: n for w, n in short.items() if n and normalise(w) not in names}
        self.names = names
        self._by_len = sorted(names, key=len, reverse=True)
        forms = set()
        for n in names.values():
            forms.add(n.replace("’", "'"))
            if n.startswith("The "):
                forms.add(n[4:])
        for word in self.short:  # a short form only capitalised, after "the": "the Courier reported"
            forms.update({f"the {word}", f"The {word}"})
        alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        self._regex = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])")

    def canonical(self, text: str) -> str:
        """The outlet name for a whole span ("The Guardian" -> "The Guardian"), or ""."""
        words = " ".join(text.split()).strip(" .,;:'\"“”").split(" ")
        if len(words) == 2 and words[0] in ("the", "The") and words[1] in self.short:
            return self.short[words[1]]
        return self.names.get(normalise(text), "")

    def find(self, text: str) -> str:
        """The longest outlet name written (case-sensitively, as whole words) in ``text``, or ""."""
        m = self._regex.search(text.replace("’", "'"))
        if not m:
            return ""
        found = m.group(0)
        if found.split()[-1] in self.short and found.split()[0] in ("the", "The") and len(found.split()) == 2:
            return self.short[found.split()[-1]]
        return self.names.get(normalise(found), found)
