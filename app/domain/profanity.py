"""A small German and English list of insults and obscenities, to flag answers for the moderator.

It only flags: a flagged open-text answer waits for review like every other one (with a warning),
a flagged word-cloud term stays hidden until the moderator shows it. It never deletes anything, so a
false alarm costs one click. Spellings with digits or symbols for letters ("4rsch", "sh1t") are caught.
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
_WORD = re.compile(r"[\w@$€!]+", re.UNICODE)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().translate(_LEET)


def is_suspect(text: str) -> bool:
    """True if the text contains a word from the list (case, digits for letters and stretched letters ignored)."""
    for raw in _WORD.findall(text):
        word = _fold(raw).replace("ß", "ss")
        squeezed = re.sub(r"(.)\1{2,}", r"\1", word)  # "scheeeiße" → "scheiße"
        for candidate in {word, squeezed, _fold(raw), re.sub(r"(.)\1+", r"\1", word)}:
            if candidate in WORDS or candidate.replace("ss", "ß") in WORDS:
                return True
            if any(stem.replace("ß", "ss") in candidate for stem in STEMS):
                return True
    return False
