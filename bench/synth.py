"""Synthetic DBLP-like content for benchmarks: a seeded corpus of papers and
writers for bibfolio site folders. Imports nothing from the generator
package, so content can be made while the generator is broken. Standard
library only.

Usage: python bench/synth.py --papers N --format bib|yaml|mixed --out DIR
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

FIRST_YEAR = 1990
LAST_YEAR = 2025
VENUE_COUNT = 300
AUTHORS_PER_PAPER = 2.5
DISTINCT_AUTHORS_PER_PAPER = 1.5
ACCENTED_NAME_SHARE = 0.05
MIXED_OVERLAP_SHARE = 0.05
LATEX_ESCAPE_SHARE = 0.6
"""Share of accented names in .bib written with LaTeX escapes; the rest are UTF-8."""
COMMA_NAME_SHARE = 0.1
"""Share of .bib author names written ``Last, First`` instead of ``First Last``."""

FIRST_NAMES = """
Aaron Abigail Adam Adrian Ahmed Aisha Alan Alberto Alex Alexander Alice Amir
Ana Andrea Andrew Angela Anna Anton Arjun Arthur Barbara Ben Bernd Bo Boris
Carla Carlos Catherine Chen Chris Christian Christina Claire Daniel David
Deepak Diana Dmitri Elena Elias Emily Emma Eric Erik Eva Fabio Farah Felix
Fiona Frank Gabriel Georg George Giulia Grace Hannah Hans Hao Harish Helen
Henrik Hiroshi Hugo Ian Igor Ines Irina Isaac Ivan Jack James Jan Jane Jia
Jian Jing Johan John Jonas Jorge Julia Julian Kai Karen Karl Kate Kenji Kevin
Kim Lars Laura Lei Leo Li Lin Linda Lucas Lucia Luis Maria Mark Marta Martin
Mary Matteo Max Maya Mei Michael Michelle Miguel Ming Mohammed Nadia Naveen
Nicole Nina Noah Olga Oliver Omar Pablo Paolo Patrick Paul Pedro Peter Pierre
Priya Qiang Rachel Rahul Raj Rebecca Ricardo Robert Rosa Ruth Ryan Sam Sara
Sebastian Sergey Shira Simon Sofia Stefan Stephen Susan Takashi Tao Thomas Tim
Tobias Tom Uma Victor Vikram Wei Xin Yan Yang Yuki Yusuf Zhang Zoe
""".split()

LAST_NAMES = """
Abbott Adams Agarwal Ahmed Alvarez Anderson Andersson Baker Banerjee Bauer
Becker Bell Bennett Berg Brown Campbell Carter Chan Chandra Chang Chen Cheng
Clark Cohen Collins Cook Cooper Costa Cruz Das Davies Davis Diaz Edwards Evans
Fischer Fisher Flores Foster Fujita Gao Garcia Ghosh Gomez Gonzalez Gordon
Graham Green Gupta Hall Hansen Harris Hayashi He Hill Hoffmann Hu Huang Hughes
Ivanov Jackson Jain James Jensen Jiang Johnson Jones Kapoor Kato Keller Khan
Kim Klein Koch Kowalski Kumar Lambert Larsen Lee Lewis Li Lin Liu Lopez Ma
Martin Martinez Mehta Meyer Miller Mitchell Moore Morales Morgan Murphy Nagy
Nakamura Nguyen Nielsen Novak Olsen Ortiz Park Parker Patel Pereira Peterson
Petrov Phillips Popescu Qian Rao Reddy Reyes Richter Roberts Robinson Rodriguez
Rossi Roy Russo Sato Schmidt Schneider Schulz Scott Shah Sharma Shen Silva
Singh Smith Song Stewart Suzuki Tanaka Taylor Thomas Thompson Torres Tran
Turner Wagner Walker Wang Watanabe Weber Wei White Williams Wilson Wong Wright
Wu Xu Yamamoto Yang Ye Yu Zhang Zhao Zhou Zhu Zimmermann
""".split()

VON_LAST_NAMES = ["van der Berg", "de la Cruz", "van Dijk", "de Vries", "von Neumann", "di Stefano", "van den Broek"]

ACCENTED_FIRST_NAMES = """
José François Jürgen Søren Zoë Ángel Joël Björn Łukasz Jiří Renée Hélène Inês
Çağlar Ramón Andrés Gaël Stéphane Jérôme Håkan
""".split()

ACCENTED_LAST_NAMES = """
Müller Gödel Schrödinger Núñez García Pérez Sørensen Dvořák Çelik Erdős
Jiménez Böhm Köhler Lefèvre Ångström Šimánek Öztürk Gonçalves Kovačević Łukasiewicz
""".split()

LATEX_ACCENTS = {
    "á": "{\\'a}", "é": "{\\'e}", "í": "{\\'i}", "ó": "{\\'o}", "ú": "{\\'u}",
    "Á": "{\\'A}", "É": "{\\'E}", "ć": "{\\'c}",
    "à": "{\\`a}", "è": "{\\`e}",
    "ä": '{\\"a}', "ë": '{\\"e}', "ö": '{\\"o}', "ü": '{\\"u}', "Ö": '{\\"O}', "Ü": '{\\"U}',
    "â": "{\\^a}", "ê": "{\\^e}", "ô": "{\\^o}",
    "ñ": "{\\~n}",
    "ç": "{\\c{c}}", "Ç": "{\\c{C}}",
    "č": "{\\v{c}}", "ř": "{\\v{r}}", "š": "{\\v{s}}", "Š": "{\\v{S}}",
    "ğ": "{\\u{g}}", "ő": "{\\H{o}}",
    "ø": "{\\o}", "Ø": "{\\O}", "å": "{\\aa}", "Å": "{\\AA}", "ł": "{\\l}", "Ł": "{\\L}",
    "ß": "{\\ss}",
}

# Each entry: short name, full name, kind, DOI registrant. The acronyms are
# real; years, DOIs and papers are not.
REAL_VENUES = [
    ("NeurIPS", "Advances in Neural Information Processing Systems", "conference", "10.5555"),
    ("ICML", "International Conference on Machine Learning", "conference", "10.5555"),
    ("ICLR", "International Conference on Learning Representations", "conference", "10.48550"),
    ("CVPR", "IEEE Conference on Computer Vision and Pattern Recognition", "conference", "10.1109"),
    ("ICCV", "IEEE International Conference on Computer Vision", "conference", "10.1109"),
    ("ECCV", "European Conference on Computer Vision", "conference", "10.1007"),
    ("ACL", "Annual Meeting of the Association for Computational Linguistics", "conference", "10.18653"),
    ("EMNLP", "Conference on Empirical Methods in Natural Language Processing", "conference", "10.18653"),
    ("NAACL", "North American Chapter of the Association for Computational Linguistics", "conference", "10.18653"),
    ("SIGMOD", "ACM SIGMOD International Conference on Management of Data", "conference", "10.1145"),
    ("VLDB", "International Conference on Very Large Data Bases", "conference", "10.14778"),
    ("ICDE", "IEEE International Conference on Data Engineering", "conference", "10.1109"),
    ("KDD", "ACM SIGKDD Conference on Knowledge Discovery and Data Mining", "conference", "10.1145"),
    ("WWW", "The Web Conference", "conference", "10.1145"),
    ("SIGIR", "ACM SIGIR Conference on Research and Development in Information Retrieval", "conference", "10.1145"),
    ("CHI", "ACM Conference on Human Factors in Computing Systems", "conference", "10.1145"),
    ("UIST", "ACM Symposium on User Interface Software and Technology", "conference", "10.1145"),
    ("SOSP", "ACM Symposium on Operating Systems Principles", "conference", "10.1145"),
    ("OSDI", "USENIX Symposium on Operating Systems Design and Implementation", "conference", "10.5555"),
    ("NSDI", "USENIX Symposium on Networked Systems Design and Implementation", "conference", "10.5555"),
    ("SIGCOMM", "ACM SIGCOMM Conference", "conference", "10.1145"),
    ("PLDI", "ACM SIGPLAN Conference on Programming Language Design and Implementation", "conference", "10.1145"),
    ("POPL", "ACM SIGPLAN Symposium on Principles of Programming Languages", "conference", "10.1145"),
    ("OOPSLA", "Object-Oriented Programming, Systems, Languages & Applications", "conference", "10.1145"),
    ("ICSE", "International Conference on Software Engineering", "conference", "10.1109"),
    ("FSE", "ACM Joint European Software Engineering Conference and Symposium on the Foundations of Software Engineering", "conference", "10.1145"),
    ("STOC", "ACM Symposium on Theory of Computing", "conference", "10.1145"),
    ("FOCS", "IEEE Symposium on Foundations of Computer Science", "conference", "10.1109"),
    ("SODA", "ACM-SIAM Symposium on Discrete Algorithms", "conference", "10.1137"),
    ("CRYPTO", "Annual International Cryptology Conference", "conference", "10.1007"),
    ("EUROCRYPT", "International Conference on the Theory and Applications of Cryptographic Techniques", "conference", "10.1007"),
    ("CCS", "ACM Conference on Computer and Communications Security", "conference", "10.1145"),
    ("S&P", "IEEE Symposium on Security and Privacy", "conference", "10.1109"),
    ("USENIX Security", "USENIX Security Symposium", "conference", "10.5555"),
    ("AAAI", "AAAI Conference on Artificial Intelligence", "conference", "10.1609"),
    ("IJCAI", "International Joint Conference on Artificial Intelligence", "conference", "10.24963"),
    ("ISCA", "International Symposium on Computer Architecture", "conference", "10.1145"),
    ("MICRO", "IEEE/ACM International Symposium on Microarchitecture", "conference", "10.1145"),
    ("ASPLOS", "Architectural Support for Programming Languages and Operating Systems", "conference", "10.1145"),
    ("DAC", "Design Automation Conference", "conference", "10.1145"),
    ("INFOCOM", "IEEE International Conference on Computer Communications", "conference", "10.1109"),
    ("MobiCom", "ACM International Conference on Mobile Computing and Networking", "conference", "10.1145"),
    ("ICRA", "IEEE International Conference on Robotics and Automation", "conference", "10.1109"),
    ("IROS", "IEEE/RSJ International Conference on Intelligent Robots and Systems", "conference", "10.1109"),
    ("COLT", "Conference on Learning Theory", "conference", "10.5555"),
    ("UAI", "Conference on Uncertainty in Artificial Intelligence", "conference", "10.5555"),
    ("AISTATS", "International Conference on Artificial Intelligence and Statistics", "conference", "10.5555"),
    ("ICDM", "IEEE International Conference on Data Mining", "conference", "10.1109"),
    ("CIKM", "ACM International Conference on Information and Knowledge Management", "conference", "10.1145"),
    ("WSDM", "ACM International Conference on Web Search and Data Mining", "conference", "10.1145"),
    ("RecSys", "ACM Conference on Recommender Systems", "conference", "10.1145"),
    ("ICALP", "International Colloquium on Automata, Languages and Programming", "conference", "10.4230"),
    ("LICS", "ACM/IEEE Symposium on Logic in Computer Science", "conference", "10.1145"),
    ("CAV", "International Conference on Computer Aided Verification", "conference", "10.1007"),
    ("TACAS", "Tools and Algorithms for the Construction and Analysis of Systems", "conference", "10.1007"),
    ("JMLR", "Journal of Machine Learning Research", "journal", "10.5555"),
    ("TPAMI", "IEEE Transactions on Pattern Analysis and Machine Intelligence", "journal", "10.1109"),
    ("TOG", "ACM Transactions on Graphics", "journal", "10.1145"),
    ("CACM", "Communications of the ACM", "journal", "10.1145"),
    ("JACM", "Journal of the ACM", "journal", "10.1145"),
    ("TODS", "ACM Transactions on Database Systems", "journal", "10.1145"),
    ("TOCS", "ACM Transactions on Computer Systems", "journal", "10.1145"),
    ("TOPLAS", "ACM Transactions on Programming Languages and Systems", "journal", "10.1145"),
    ("TSE", "IEEE Transactions on Software Engineering", "journal", "10.1109"),
    ("IJCV", "International Journal of Computer Vision", "journal", "10.1007"),
    ("AIJ", "Artificial Intelligence", "journal", "10.1016"),
    ("TKDE", "IEEE Transactions on Knowledge and Data Engineering", "journal", "10.1109"),
    ("VLDBJ", "The VLDB Journal", "journal", "10.1007"),
    ("CL", "Computational Linguistics", "journal", "10.1162"),
    ("TACL", "Transactions of the Association for Computational Linguistics", "journal", "10.1162"),
    ("SICOMP", "SIAM Journal on Computing", "journal", "10.1137"),
    ("NECO", "Neural Computation", "journal", "10.1162"),
    ("MLJ", "Machine Learning", "journal", "10.1007"),
]

AREAS = """
Data Engineering|Software Maintenance|Parallel Processing|Distributed Computing|
Embedded Systems|Information Security|Computational Biology|Signal Processing|
Quantum Computing|Computer Graphics|Formal Methods|Logic Programming|
Knowledge Representation|Information Retrieval|Speech Processing|
Multimedia Systems|Cloud Computing|Edge Computing|Network Protocols|
Mobile Systems|Sensor Networks|Autonomous Agents|Evolutionary Computation|
Neural Networks|Pattern Recognition|Image Analysis|Medical Imaging|
Natural Language Generation|Machine Translation|Semantic Web|Digital Libraries|
Computer Education|Human-Robot Interaction|Visual Analytics|Scientific Computing|
High Performance Computing|Storage Systems|Program Analysis|Model Checking|
Automated Reasoning|Combinatorial Optimization|Graph Algorithms|
Computational Geometry|Cryptographic Engineering|Privacy Engineering|
Requirements Engineering|Software Testing|Web Engineering|Database Theory|
Stream Processing|Recommender Systems|Social Computing|Ubiquitous Computing|
Wearable Computing|Computer Vision Systems|Reinforcement Learning|
Probabilistic Programming|Hardware Verification|Reconfigurable Computing|
Real-Time Systems|Fault Tolerance|Information Visualization
""".replace("\n", "").split("|")

CONFERENCE_PATTERNS = [
    "International Conference on {}",
    "International Symposium on {}",
    "European Conference on {}",
    "Asia-Pacific Conference on {}",
    "Workshop on {}",
    "IEEE Conference on {}",
]
JOURNAL_PATTERNS = ["Journal of {}", "ACM Transactions on {}", "IEEE Transactions on {}", "{} Letters"]
DOI_REGISTRANTS = ["10.1145", "10.1109", "10.1007", "10.1016", "10.5555"]
ACRONYM_SKIP = {"on", "of", "and", "the", "for", "in"}

FUNCTION_WORDS = "the of and a to in for is that we on with this by as are from an be which can our".split()
CONTENT_WORDS = """
learning model data network neural graph method approach results performance
system algorithm problem training based show propose paper framework task
using new large deep models methods tasks efficient analysis image language
time state accuracy structure information feature representation study show
demonstrate achieve existing previous recent optimization distributed
scalable robust adaptive sparse dense efficient online offline parallel
memory query queries database index storage latency throughput cluster
compiler program programs verification proof semantics type types static
dynamic runtime execution hardware processor cache energy power mobile
wireless protocol routing security privacy attack defense adversarial
secure encryption inference generative attention transformer embedding
retrieval ranking search recommendation user users interaction interface
visual video scene object detection segmentation tracking reconstruction
geometry rendering simulation physics control policy reward agent agents
planning reasoning knowledge logic theorem bound bounds complexity
approximation randomized streaming sampling estimation statistical
probabilistic bayesian causal convergence gradient stochastic loss
regularization benchmark benchmarks evaluation dataset datasets experiments
empirical theoretical practical novel simple general unified hierarchical
multi-scale fine-grained end-to-end real-world open-source state-of-the-art
across under over between while without both more than significantly
""".split()
TITLE_ACRONYMS = "GPU LLM SQL RDMA FPGA SAT API HTTP DNA IoT 3D NLP RL".split()
TITLE_LINKS = "for of with in via on and under towards".split()
SYSTEM_PREFIXES = "Graph Flash Deep Meta Neuro Hyper Auto Fast Tiny Omni Quant Sparse Vision Data".split()
SYSTEM_SUFFIXES = "Net Mix Former Lens Store DB Flow Sync Guard Bench Opt Gen Scope".split()


@dataclass(frozen=True)
class SynthAuthor:
    """One synthetic person; every part is Unicode."""

    first: str
    last: str
    middle: str = ""
    von: str = ""

    @property
    def display(self) -> str:
        """The name as a reader writes it: ``First M. von Last``."""
        return " ".join(part for part in (self.first, self.middle, self.von, self.last) if part)

    @property
    def accented(self) -> bool:
        """True when any part of the name is outside ASCII."""
        return not self.display.isascii()


@dataclass(frozen=True)
class SynthVenue:
    """A venue series: one conference or journal over all its years."""

    short: str
    full: str
    kind: str
    """``conference`` or ``journal``."""
    doi_registrant: str
    first_year: int
    dblp_key: str
    """The lower-case path segment in the citation key (``conf/icml/...``)."""

    @property
    def label(self) -> str:
        """The venue text written in both .bib and YAML: ``Full Name (SHORT)``."""
        return f"{self.full} ({self.short})"


@dataclass
class SynthPaper:
    """One synthetic publication, before it is written in any format."""

    key: str
    """DBLP-style citation key, unique in the corpus."""
    title_words: list[str]
    authors: list[SynthAuthor]
    venue: SynthVenue
    year: int
    abstract_sentences: list[str]
    doi: str
    first_page: int
    last_page: int
    volume: int = 0
    """Journal volume; 0 for conference papers."""
    number: int = 0

    @property
    def title(self) -> str:
        """The title as plain Unicode text."""
        return " ".join(self.title_words)

    @property
    def abstract(self) -> str:
        """The abstract as one paragraph."""
        return " ".join(self.abstract_sentences)

    @property
    def slug(self) -> str:
        """A file-name-safe form of the key (``conf-icml-muller21``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.key.lower().removeprefix("dblp:")).strip("-")


@dataclass
class Corpus:
    """All papers of one synthetic site, with the authors and venues they use."""

    papers: list[SynthPaper]
    authors: list[SynthAuthor]
    venues: list[SynthVenue]
    seed: int
    overlap: list[bool] = field(default_factory=list)
    """For mixed sites: True where a paper is written in both formats."""


class _WordSampler:
    """Draws words with Zipf-like frequencies: function words first, then content words."""

    def __init__(self, rng: random.Random) -> None:
        content = list(CONTENT_WORDS)
        rng.shuffle(content)
        self.words = FUNCTION_WORDS + content
        self.cum_weights = _zipf_cumulative(len(self.words), 1.0, offset=2)
        self.content_words = content
        self.content_cum_weights = _zipf_cumulative(len(content), 0.8)
        self.rng = rng

    def draw(self, count: int) -> list[str]:
        """Return ``count`` words drawn with replacement, function words included."""
        return self.rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def draw_content(self, count: int) -> list[str]:
        """Return ``count`` content words (no articles or prepositions), drawn with replacement."""
        return self.rng.choices(self.content_words, cum_weights=self.content_cum_weights, k=count)


def _zipf_cumulative(count: int, exponent: float, offset: int = 1) -> list[float]:
    total = 0.0
    cumulative: list[float] = []
    for rank in range(count):
        total += 1.0 / (rank + offset) ** exponent
        cumulative.append(total)
    return cumulative


def _acronym(full: str) -> str:
    letters = [word[0] for word in re.split(r"[\s-]+", full) if word and word.lower() not in ACRONYM_SKIP]
    return "".join(letters).upper()


def make_venues(rng: random.Random, count: int = VENUE_COUNT) -> list[SynthVenue]:
    """Build ``count`` venue series: the real-looking ones first, then synthetic ones."""
    venues: list[SynthVenue] = []
    used_short: dict[str, int] = {}
    for short, full, kind, registrant in REAL_VENUES[:count]:
        first_year = rng.randint(FIRST_YEAR, 2012)
        dblp_key = re.sub(r"[^a-z0-9]", "", short.lower())
        venues.append(SynthVenue(short, full, kind, registrant, first_year, dblp_key))
        used_short[short] = 1
    used_full = {venue.full for venue in venues}
    while len(venues) < count:
        area = rng.choice(AREAS)
        is_journal = rng.random() < 0.3
        pattern = rng.choice(JOURNAL_PATTERNS if is_journal else CONFERENCE_PATTERNS)
        full = pattern.format(area)
        if full in used_full:
            continue
        used_full.add(full)
        short = _acronym(full)
        # Acronyms clash often ("ICDE" from two areas); a digit keeps them apart.
        seen = used_short.get(short, 0)
        used_short[short] = seen + 1
        if seen:
            short = f"{short}{seen + 1}"
        venues.append(
            SynthVenue(
                short=short,
                full=full,
                kind="journal" if is_journal else "conference",
                doi_registrant=rng.choice(DOI_REGISTRANTS),
                first_year=rng.randint(FIRST_YEAR, 2020),
                dblp_key=short.lower(),
            )
        )
    return venues


class _AuthorPool:
    """Draws author lists from a preferential-attachment process.

    Each author slot is a new person with probability ``new_share``; otherwise
    it copies the author of a random earlier slot, so a person's chance grows
    with their paper count. That yields a long tail: a few authors with
    hundreds of papers and most with one.
    """

    def __init__(self, rng: random.Random, new_share: float) -> None:
        self.rng = rng
        self.new_share = new_share
        self.authors: list[SynthAuthor] = []
        self.slots: list[int] = []
        self.names: set[str] = set()

    def _new_author(self) -> int:
        rng = self.rng
        # Decided once, so name collisions (common among plain names) do
        # not raise the accented share.
        accented = rng.random() < ACCENTED_NAME_SHARE
        for attempt in range(1000):
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            von = ""
            if accented:
                # Put the accent in the first name, the last name or both.
                where = rng.random()
                if where < 0.4:
                    first = rng.choice(ACCENTED_FIRST_NAMES)
                elif where < 0.8:
                    last = rng.choice(ACCENTED_LAST_NAMES)
                else:
                    first = rng.choice(ACCENTED_FIRST_NAMES)
                    last = rng.choice(ACCENTED_LAST_NAMES)
            elif rng.random() < 0.01:
                von, last = rng.choice(VON_LAST_NAMES).rsplit(" ", 1)
            middle = ""
            if attempt > 0 or rng.random() < 0.2:
                middle = f"{chr(ord('A') + rng.randrange(26))}."
            if attempt > 20:
                middle += f" {chr(ord('A') + rng.randrange(26))}."
            author = SynthAuthor(first=first, last=last, middle=middle, von=von)
            if author.display not in self.names:
                self.names.add(author.display)
                self.authors.append(author)
                return len(self.authors) - 1
        raise RuntimeError("no unused author name found after 1000 attempts; extend the name lists")

    def draw(self, count: int) -> list[SynthAuthor]:
        """Return ``count`` distinct authors for one paper."""
        chosen: list[int] = []
        for _ in range(count):
            index = -1
            if self.slots and self.rng.random() >= self.new_share:
                # A few tries to find an earlier author not already on this paper.
                for _ in range(4):
                    candidate = self.slots[self.rng.randrange(len(self.slots))]
                    if candidate not in chosen:
                        index = candidate
                        break
            if index < 0:
                index = self._new_author()
            chosen.append(index)
        self.slots.extend(chosen)
        return [self.authors[index] for index in chosen]


def _title_words(rng: random.Random, sampler: _WordSampler) -> list[str]:
    count = rng.randint(8, 15)
    words: list[str] = []
    if rng.random() < 0.25:
        words.append(f"{rng.choice(SYSTEM_PREFIXES)}{rng.choice(SYSTEM_SUFFIXES)}:")
    for word in sampler.draw_content(count - len(words)):
        if rng.random() < 0.05:
            words.append(rng.choice(TITLE_ACRONYMS))
        elif len(words) > 1 and words[-1] not in TITLE_LINKS and rng.random() < 0.25:
            words.append(rng.choice(TITLE_LINKS))
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return words


def _abstract_sentences(rng: random.Random, sampler: _WordSampler) -> list[str]:
    words = sampler.draw(rng.randint(120, 250))
    sentences: list[str] = []
    start = 0
    while start < len(words):
        end = start + rng.randint(8, 24)
        if len(words) - end < 4:
            # A remainder too short for a sentence joins this one.
            end = len(words)
        sentence = words[start:end]
        sentence[0] = sentence[0].capitalize()
        sentences.append(" ".join(sentence) + ".")
        start = end
    return sentences


def _ascii(text: str) -> str:
    special = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"}
    text = "".join(special.get(char, char) for char in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _year_cumulative() -> list[float]:
    # Publication counts grow by roughly 8% a year.
    total = 0.0
    cumulative: list[float] = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        total += 1.08 ** (year - FIRST_YEAR)
        cumulative.append(total)
    return cumulative


def make_corpus(paper_count: int, seed: int = 1) -> Corpus:
    """Generate ``paper_count`` papers; the same arguments always give the same corpus."""
    rng = random.Random(seed)
    sampler = _WordSampler(random.Random(seed + 1))
    venues = make_venues(random.Random(seed + 2))
    # Popularity ranks: the real venues first, each group in seeded order. An
    # exponent of 0.6 gives the biggest venue about 4% of all papers.
    real_count = min(len(REAL_VENUES), len(venues))
    real, synthetic = venues[:real_count], venues[real_count:]
    rng.shuffle(real)
    rng.shuffle(synthetic)
    venue_by_rank = real + synthetic
    venue_cumulative = _zipf_cumulative(len(venues), 0.6)
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    year_cumulative = _year_cumulative()
    pool = _AuthorPool(random.Random(seed + 3), DISTINCT_AUTHORS_PER_PAPER / AUTHORS_PER_PAPER)
    author_counts = [1, 2, 3, 4, 5, 6]
    # Mean 2.77 here; with 12% single-author papers the overall mean is about 2.56.
    author_count_weights = [18, 30, 25, 15, 8, 4]

    keys: dict[str, int] = {}
    papers: list[SynthPaper] = []
    for index in range(paper_count):
        venue = venue_by_rank[bisect.bisect_left(venue_cumulative, rng.random() * venue_cumulative[-1])]
        year = rng.choices(years, cum_weights=year_cumulative)[0]
        if year < venue.first_year:
            year = rng.randint(venue.first_year, LAST_YEAR)
        count = 1 if rng.random() < 0.12 else rng.choices(author_counts, weights=author_count_weights)[0]
        authors = pool.draw(count)

        tail = "".join(_ascii(author.last)[:1] for author in authors[1:4])
        base = f"DBLP:{'journals' if venue.kind == 'journal' else 'conf'}/{venue.dblp_key}/" \
            f"{re.sub(r'[^A-Za-z]', '', _ascii(authors[0].last))}{tail}{year % 100:02d}"
        # Counted case-insensitively so that slugs made from keys stay unique.
        seen = keys.get(base.lower(), 0)
        keys[base.lower()] = seen + 1
        key = base if not seen else f"{base}-{seen}"

        first_page = rng.randint(1, 900)
        paper = SynthPaper(
            key=key,
            title_words=_title_words(rng, sampler),
            authors=authors,
            venue=venue,
            year=year,
            abstract_sentences=_abstract_sentences(rng, sampler),
            doi=f"{venue.doi_registrant}/{venue.dblp_key}.{year}.{index:07d}",
            first_page=first_page,
            last_page=first_page + rng.randint(4, 30),
        )
        if venue.kind == "journal":
            paper.volume = year - venue.first_year + 1
            paper.number = rng.randint(1, 12)
        papers.append(paper)

    overlap_rng = random.Random(seed + 4)
    overlap = [overlap_rng.random() < MIXED_OVERLAP_SHARE for _ in papers]
    return Corpus(papers=papers, authors=pool.authors, venues=venues, seed=seed, overlap=overlap)


# --- BibTeX -------------------------------------------------------------------

def _latex_escape(text: str) -> str:
    return "".join(LATEX_ACCENTS.get(char, char) for char in text)


def _bib_name(author: SynthAuthor, rng: random.Random) -> str:
    first = " ".join(part for part in (author.first, author.middle) if part)
    last = author.last
    if author.accented and rng.random() < LATEX_ESCAPE_SHARE:
        first = _latex_escape(first)
        last = _latex_escape(last)
    if rng.random() < COMMA_NAME_SHARE:
        von = f"{author.von} " if author.von else ""
        return f"{von}{last}, {first}"
    return " ".join(part for part in (first, author.von, last) if part)


def _bib_title(words: list[str]) -> str:
    # Brace words with inner capitals so BibTeX styles keep their case.
    protected = []
    for word in words:
        stem = word.rstrip(":")
        inner = "".join(part[1:] for part in stem.split("-"))
        if any(char.isupper() for char in inner) or stem in TITLE_ACRONYMS:
            protected.append("{" + stem + "}" + word[len(stem):])
        else:
            protected.append(word)
    return " ".join(protected)


def _bib_text(text: str) -> str:
    return text.replace("&", "\\&")


def format_bib_entry(paper: SynthPaper, rng: random.Random, with_abstract: bool = True) -> str:
    """Return one BibTeX entry; ``rng`` decides each accented name's spelling."""
    authors = " and ".join(_bib_name(author, rng) for author in paper.authors)
    venue = paper.venue
    label = _bib_text(f"{venue.full} ({{{venue.short}}})")
    lines = [
        f"@{'article' if venue.kind == 'journal' else 'inproceedings'}{{{paper.key},",
        f"  author    = {{{authors}}},",
        f"  title     = {{{_bib_title(paper.title_words)}}},",
    ]
    if venue.kind == "journal":
        lines.append(f"  journal   = {{{label}}},")
        lines.append(f"  volume    = {{{paper.volume}}},")
        lines.append(f"  number    = {{{paper.number}}},")
    else:
        lines.append(f"  booktitle = {{{label}}},")
    lines.append(f"  pages     = {{{paper.first_page}--{paper.last_page}}},")
    lines.append(f"  year      = {{{paper.year}}},")
    lines.append(f"  doi       = {{{paper.doi}}},")
    if with_abstract:
        lines.append(f"  abstract  = {{{paper.abstract}}},")
    lines.append("}\n")
    return "\n".join(lines)


# --- YAML ---------------------------------------------------------------------

_PLAIN_YAML = re.compile(r"[A-Za-z\u00c0-\u024f][^:#\"'\n\[\]{},&*!|>%@`]*")


def _yaml_scalar(text: str) -> str:
    # Plain style where YAML reads it back unchanged, JSON-quoted otherwise
    # (a JSON string is a valid double-quoted YAML scalar).
    if _PLAIN_YAML.fullmatch(text) and not text.endswith(" ") and text.lower() not in {"yes", "no", "true", "false", "null", "on", "off"}:
        return text
    return json.dumps(text, ensure_ascii=False)


def format_yaml_record(paper: SynthPaper, with_abstract: bool = True) -> str:
    """Return one paper as the text of a ``content/papers/*.yaml`` file."""
    lines = [
        f"title: {_yaml_scalar(paper.title)}",
        "authors:",
    ]
    lines.extend(f"  - {_yaml_scalar(author.display)}" for author in paper.authors)
    lines.append(f"venue: {_yaml_scalar(paper.venue.label)}")
    lines.append(f"year: {paper.year}")
    lines.append(f"type: {paper.venue.kind}")
    lines.append(f"doi: {paper.doi}")
    if with_abstract:
        # A folded block joins the lines with single spaces, one sentence a line.
        lines.append("abstract: >-")
        lines.extend(f"  {sentence}" for sentence in paper.abstract_sentences)
    return "\n".join(lines) + "\n"


# --- Site folders ---------------------------------------------------------------

@dataclass
class SiteCounts:
    """Counts of the records written by ``write_site``."""

    bib_entries: int = 0
    yaml_files: int = 0
    overlapping: int = 0
    """Papers written in both formats (mixed sites only)."""


def write_site(corpus: Corpus, out: Path, content_format: str) -> SiteCounts:
    """Write ``site.yaml`` and ``content/`` for ``corpus`` into ``out`` in one format.

    ``content_format`` is ``bib`` (one large .bib file), ``yaml`` (one file per
    paper) or ``mixed`` (alternating papers, with the overlapping ones written
    in both formats, the second copy without its abstract).
    """
    if content_format not in ("bib", "yaml", "mixed"):
        raise ValueError(f"unknown format {content_format!r}: expected bib, yaml or mixed")
    bib_dir = out / "content" / "bib"
    papers_dir = out / "content" / "papers"
    bib_dir.mkdir(parents=True, exist_ok=True)
    papers_dir.mkdir(parents=True, exist_ok=True)
    # A 100,000-paper .bib file is about 150 MB, above bibfolio's default 64 MiB file limit.
    (out / "site.yaml").write_text(
        f"title: Synthetic bibliography ({len(corpus.papers)} papers, {content_format})\n"
        "limits:\n  max_file_bytes: 1073741824\n",
        encoding="utf-8"
    )

    name_rng = random.Random(corpus.seed + 5)
    counts = SiteCounts()
    with open(bib_dir / "papers.bib", "w", encoding="utf-8") as bib_file:
        for index, paper in enumerate(corpus.papers):
            in_bib = content_format == "bib" or (content_format == "mixed" and index % 2 == 0)
            both = content_format == "mixed" and corpus.overlap[index]
            if in_bib or both:
                if counts.bib_entries:
                    bib_file.write("\n")
                bib_file.write(format_bib_entry(paper, name_rng, with_abstract=in_bib))
                counts.bib_entries += 1
            if not in_bib or both:
                record = format_yaml_record(paper, with_abstract=not in_bib)
                (papers_dir / f"{paper.slug}.yaml").write_text(record, encoding="utf-8")
                counts.yaml_files += 1
            counts.overlapping += both
    if not counts.bib_entries:
        (bib_dir / "papers.bib").unlink()
    return counts


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the corpus and write the site folder."""
    parser = argparse.ArgumentParser(description="Write a synthetic DBLP-like bibfolio site folder.")
    parser.add_argument("--papers", type=int, required=True, help="number of distinct papers")
    parser.add_argument("--format", choices=("bib", "yaml", "mixed"), default="bib", help="content format (default: bib)")
    parser.add_argument("--out", type=Path, required=True, help="site folder to create; must not already contain content/")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args(argv)

    if args.papers < 1:
        parser.error("--papers must be at least 1")
    if (args.out / "content").exists():
        parser.error(f"{args.out / 'content'} already exists; choose an empty --out folder")
    started = time.perf_counter()
    corpus = make_corpus(args.papers, args.seed)
    counts = write_site(corpus, args.out, args.format)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {len(corpus.papers)} papers ({counts.bib_entries} .bib entries, {counts.yaml_files} YAML files, "
        f"{counts.overlapping} in both), {len(corpus.authors)} authors, {len(corpus.venues)} venues "
        f"to {args.out} in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
