"""A small German and English list of insults and obscenities, to flag answers for the moderator.

It only flags: a flagged open-text answer waits for review like every other one (with a warning),
a flagged word-cloud term stays hidden until the moderator shows it. It never deletes anything, so a
false alarm costs one click. Spellings with digits or symbols for letters ("4rsch", "sh1t"), fullwidth or other
compatibility forms ("ｆｕｃｋ") and Cyrillic or Greek look-alike letters ("fuсk" with a Cyrillic с) are caught.
"""

import re
import unicodedata

# Whole words (after folding): flagged when a word of the answer is one of these.
WORDS = frozenset(
    """
    arsch arschloch arschlöcher arschgeige wichser wixer wichsen fotze fotzen votze muschi schlampe
    hure huren hurensohn hurensöhne nutte nutten ficken fick fickt gefickt ficker verpiss verpisst
    scheiße scheisse scheiß scheiss kacke pisser spast spasti spacken missgeburt
    schwuchtel kanake kanaken neger zigeuner judensau nazi nazis hitler untermensch
    drecksau drecksack dreckssau penner vollidiot idiot idioten trottel depp deppen dummkopf
    blödmann blöde schwachkopf schwachmat vollpfosten bastard bastarde
    fresse hackfresse pimmel titten möse
    fuck fucker fucking fucked motherfucker shit shitty bullshit bitch bitches cunt dickhead
    asshole arsehole bastard slut whore wanker twat prick retard retarded faggot fag nigger nigga
    moron idiot crap piss pissed cock pussy
    """.split()
)

# Stems that mark a word wherever they appear in it (German compounds: "Riesenarschloch").
# Only stems that do not occur inside harmless words; "arsch" is left out for "Marsch".
STEMS = ("arschloch", "wichser", "hurensohn", "fotze", "scheiß", "scheiss", "fick", "missgeburt", "schwuchtel",
         "judensau", "untermensch", "drecks", "vollidiot", "hackfresse", "fuck", "shit", "motherf", "nigg", "kanake")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e", "!": "i"})
# Letters of other scripts that look like Latin ones: "fuсk" with a Cyrillic с, "ѕhit", "ιdiot", "ΗURE". Capitals
# are mapped by their own look (Greek Η is an H, its small η an n), so the table applies before casefold.
# Hand-made from the Cyrillic and Greek letters a reader takes for Latin; fullwidth and other compatibility
# forms ("ｆｕｃｋ", "𝐟𝐮𝐜𝐤") are folded by NFKC before.
_CONFUSABLES = str.maketrans({
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "З": "3", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I", "Ү": "Y",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T",
    "Υ": "Y", "Χ": "X",
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "з": "3", "и": "u", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y", "ѵ": "v",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "σ": "o",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin variants
    "ı": "i", "ȷ": "j", "ɡ": "g", "ɑ": "a", "ʋ": "u",
})
_WORD = re.compile(r"[\w@$€!]+", re.UNICODE)


def _fold(text: str) -> str:
    return text.translate(_CONFUSABLES).casefold().translate(_CONFUSABLES).translate(_LEET)


def _plain(text: str) -> str:
    """Compatibility forms folded (NFKC: fullwidth, mathematical, circled letters), and what hides inside a word
    dropped: zero-width and other format characters, marks drawn over letters ("f̶u̶c̶k̶")."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Mn", "Me"))


def is_suspect(text: str) -> bool:
    """True if the text contains a word from the list (case, digits or look-alike letters of other scripts for
    Latin ones, compatibility forms and stretched letters ignored)."""
    for raw in _WORD.findall(_plain(text)):
        word = _fold(raw).replace("ß", "ss")
        squeezed = re.sub(r"(.)\1{2,}", r"\1", word)  # "scheeeiße" → "scheiße"
        for candidate in {word, squeezed, _fold(raw), re.sub(r"(.)\1+", r"\1", word)}:
            if candidate in WORDS or candidate.replace("ss", "ß") in WORDS:
                return True
            if any(stem.replace("ß", "ss") in candidate for stem in STEMS):
                return True
    return False
