"""Generate the bundled sample network: two LinkedIn data exports of one invented owner.

    python data/generate_sample.py [--seed N] [--out DIR]

Writes ``linkedin-export-2023-06.zip`` (2023 layout: Connections with the Notes preamble and
URL column, messages.csv without RECIPIENT PROFILE URLS) and ``linkedin-export-2024-06.zip``
(late-2024 layout: RECIPIENT PROFILE URLS and draft columns) into ``data/sample/``. The
newer export holds the older one's history up to its date, plus a year of new events, a few
new connections, and connections whose company or position changed. Every person is
invented. The same seed gives the same bytes (zip entry times are fixed).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20240620
OUT = Path(__file__).resolve().parent / "sample"
START = datetime(2021, 6, 1)
CUT_2023 = datetime(2023, 6, 20)
CUT_2024 = datetime(2024, 6, 20)
N_CONNECTIONS = 400  # in the 2023 export
N_NEW = 14  # connected between the two exports

OWNER = ("Elena", "Marchetti")
OWNER_URL = "https://www.linkedin.com/in/elena-marchetti-7b21a4"
OWNER_POSITIONS = [
    ("Kestrel Analytics", "Head of Data Engineering", "Lisbon, Portugal", "Feb 2023", ""),
    ("Nordlicht GmbH", "Senior Data Engineer", "Berlin, Germany", "Mar 2019", "Jan 2023"),
    ("Acme Retail", "Data Engineer", "Milan, Italy", "2016", "Feb 2019"),
]

FIRST = """Ana João Jürgen Søren Wei Priya Olga Kenji Fatima Amara Lars María Chloé Mehmet Thảo Zoë
Łukasz Aarav Sven Ingrid Tomás Aoife Siobhán Björn Dmitri Yuki Hana Omar Leila Kwame Chiara Luca
Matteo Sofía Diego Camille Élodie François Hiroshi Mei Ravi Anjali Oluwaseun Ngozi Ayşe Emre Jana
Petr Zsófia Ömer Noa Eitan Sara Joon-ho Min-ji Rafael Beatriz Gabriel Isabela Kateřina Nils Astrid
Ewa Małgorzata Tiago Inês Arjun Deepika Liam Grace Noah Emma Oliver Ava Ethan Mia""".split()
LAST = """Souza Müller Kierkegaard Zhang Sharma Ivanova Tanaka Al-Sayed Okafor Nilsson García Dubois
Yılmaz Nguyễn Nowak Patel Berg Haugen Ruiz O'Brien Ní Bhriain Johansson Petrov Sato Kim Haddad
Mensah Rossi Bianchi Fernández López Martin Lefèvre Watanabe Chen Iyer Gupta Adeyemi Eze Demir
Kaya Novák Horváth Cohen Levi Park Lee Oliveira Santos Costa Dvořák Andersen Kowalski Wiśniewska
Pereira Reddy Smith Brown Wilson Taylor Schmidt Fischer Jensen Virtanen Papadopoulos""".split()
CREDENTIALS = ["MBA", "PhD", "CFA", "PMP"]
COMPANIES = """Kestrel Analytics|Nordlicht GmbH|Acme Retail|Siemens|SAP|Spotify|Zalando|Booking.com|
Infosys|Tata Consultancy Services|Yandex|Sony|Volvo Cars|Novo Nordisk|Adyen|Klarna|Revolut|
Mercado Libre|Nubank|Shopify|Databricks|Snowflake|Google|Microsoft|Amazon Web Services|Stripe|
Delivery Hero|Unilever|Maersk|Siemens Healthineers|Philips|ING|BBVA|Santander|Rakuten|
LINE Corporation|Naver|Flipkart|Jumia|Andela|Wise|Monzo|Celonis|Personio|Miro|N26|Glovo|Cabify|
Vinted|Bolt|Wolt|OLX|Allegro|Criteo|Doctolib|BlaBlaCar|Ocado|Deliveroo|Farfetch""".replace(
    "\n", ""
).split("|")
TITLES = """Data Engineer|Senior Data Engineer|Analytics Engineer|Data Scientist|Machine Learning
Engineer|Head of Data|VP Engineering|Engineering Manager|Product Manager|Senior Product Manager|
Technical Recruiter|Talent Acquisition Partner|Software Engineer|Staff Engineer|Solutions
Architect|Data Architect|CTO|Founder|Consultant|Business Intelligence Analyst|UX Researcher|
Developer Advocate|Platform Engineer|Site Reliability Engineer|Chief Data Officer""".replace(
    "\n", " "
).split("|")
SKILLS = [
    "Data Engineering", "Python", "SQL", "Apache Spark", "Data Modeling", "ETL", "Airflow",
    "Machine Learning", "Team Leadership", "dbt", "Kafka", "Cloud Computing", "Mentoring",
]  # fmt: skip
EVENTS = [  # bursts: (date, name)
    (datetime(2022, 5, 18), "DataConf Lisbon"),
    (datetime(2023, 2, 6), "my new role at Kestrel"),
    (datetime(2023, 11, 14), "the Berlin data engineering meetup"),
    (datetime(2024, 4, 23), "PyData Amsterdam"),
]
OPENERS = [
    ("", "Hi {first}, how are things at {company}? It has been a while."),
    ("", "Hey {first}! Saw your post about {topic}, great points."),
    ("Quick question", "Hi {first}, quick question on {topic}: how does your team handle it?"),
    ("", "Thought of you when I read this piece on {topic}: https://example.org/{slug}"),
    ("Hiring", "Hi {first}, we are hiring for data engineering at Kestrel. Know anyone good?"),
    ("", "Hi {first}, are you hiring this quarter? A friend is looking for a new role in {topic}."),
    ("Coffee?", "Coffee next week, {first}? I will be around {city}."),
    ("", "Thanks again for the intro last week, {first}. Really helpful conversation."),
    ("", "Happy work anniversary, {first}!"),
    ("Intro", "{first}, I'd like to introduce you to a former colleague who works on {topic}."),
]
CONTACT_OPENERS = [
    ("", "Hi Elena, hope you're well! Are you still working on {topic}?"),
    ("Question", "Hi Elena, could I pick your brain on {topic} sometime?"),
    ("", "Hi Elena, I am looking for a new role in data engineering. Any leads would mean a lot."),
    ("Opportunity", "Hi Elena, we are hiring a lead data engineer at {company}. Interested?"),
    ("", "Elena! Great to see your talk, the part on {topic} was excellent."),
    ("", "Hi Elena, thanks for endorsing me, much appreciated."),
]
REPLIES = [
    "Thanks, {first}!",
    "Sounds good, let's do it.",
    "Great to hear from you. Yes, happy to chat. How about Thursday?",
    "Sure, send it over.",
    "Haha, yes, it's been too long.",
    "Good question. We moved most of it to dbt and Airflow last year.",
    "I'll ask around and get back to you.",
    "Perfect, thank you 🙏",
    "Will do. Talk soon.",
    "Absolutely, count me in.",
]
TOPICS = [
    "data engineering", "streaming pipelines", "data contracts", "hiring", "lakehouse migration",
    "ML platforms", "dbt testing", "team leadership", "data quality", "cost of cloud warehouses",
]  # fmt: skip
CITIES = ["Lisbon", "Berlin", "Amsterdam", "Milan", "London", "Madrid", "Copenhagen"]

PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their connections "
    "to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n\n'
)
H_CONNECTIONS = [
    "First Name",
    "Last Name",
    "URL",
    "Email Address",
    "Company",
    "Position",
    "Connected On",
]
H_MSG_2023 = "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER".split(
    ","
)
H_MSG_2024 = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    "SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT"
).split(",")
H_INV_2023 = "From,To,Sent At,Message,Direction,inviterProfileUrn,inviteeProfileUrn".split(",")
H_INV_2024 = "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl".split(",")
H_PROFILE = (
    "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,Zip Code,"
    "Geo Location,Twitter Handles,Websites,Instant Messengers"
).split(",")
H_POSITIONS = "Company Name,Title,Description,Location,Started On,Finished On".split(",")
H_ENDORSE_IN = "Endorsement Date,Skill Name,Endorser First Name,Endorser Last Name,Endorser Public Url,Endorsement Status".split(
    ","
)
H_ENDORSE_OUT = "Endorsement Date,Skill Name,Endorsee First Name,Endorsee Last Name,Endorsee Public Url,Endorsement Status".split(
    ","
)
H_RECOMMEND = "First Name,Last Name,Company,Job Title,Text,Creation Date,Status".split(",")


@dataclass
class Person:
    first: str
    last: str
    url: str
    company: str
    position: str
    connected: datetime | None  # None: not a connection
    email: str = ""
    new_company: str | None = None  # after a role change
    new_position: str | None = None
    changed_at: datetime | None = None
    tier: str = "none"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Message:
    conv: str
    title: str
    sender: Person | None  # None: the owner
    to: list[Person | None]
    ts: datetime
    subject: str
    content: str
    folder: str = "INBOX"
    draft: bool = False


@dataclass
class World:
    people: list[Person] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    invitations: list[tuple[Person, str, datetime, str]] = field(default_factory=list)
    endorse_in: list[tuple[datetime, str, Person]] = field(default_factory=list)
    endorse_out: list[tuple[datetime, str, Person]] = field(default_factory=list)
    recommend_in: list[tuple[Person, str, datetime]] = field(default_factory=list)
    recommend_out: list[tuple[Person, str, datetime]] = field(default_factory=list)


def _slug(first: str, last: str, rng: np.random.Generator) -> str:
    plain = unicodedata.normalize(
        "NFKD", f"{first}-{last}".translate(str.maketrans("łŁøØß", "lLoOs"))
    )
    plain = "".join(c for c in plain if c.isascii() and (c.isalnum() or c in "- ")).lower()
    plain = "-".join(plain.replace(" ", "-").split("-"))
    return f"https://www.linkedin.com/in/{plain}-{int(rng.integers(0x100000, 0xFFFFFF)):x}"


def _between(rng: np.random.Generator, a: datetime, b: datetime) -> datetime:
    return a + timedelta(seconds=int(rng.integers(0, max(1, int((b - a).total_seconds())))))


def _daytime(rng: np.random.Generator, day: datetime) -> datetime:
    """A believable hour for a message on ``day``: mostly office hours, some evenings."""
    hour = int(rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 21], p=[
        .06, .12, .13, .11, .07, .08, .1, .1, .09, .06, .05, .03]))  # fmt: skip
    return day.replace(hour=hour, minute=int(rng.integers(0, 60)), second=int(rng.integers(0, 60)))


def _pick(rng: np.random.Generator, items: list):
    return items[int(rng.integers(0, len(items)))]


def _conv_id(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return "2-" + digest[:44]


def build_world(seed: int = SEED) -> World:
    rng = np.random.default_rng(seed)
    world = World()
    used: set[str] = set()
    total = N_CONNECTIONS + N_NEW
    while len(world.people) < total:
        first, last = _pick(rng, FIRST), _pick(rng, LAST)
        if f"{first} {last}" in used:
            continue
        used.add(f"{first} {last}")
        url = _slug(first, last, rng)
        if rng.random() < 0.02:
            last = f"{last}, {_pick(rng, CREDENTIALS)}"
        if len(world.people) < N_CONNECTIONS:
            # older ties first: a network grown since 2012
            connected = _between(rng, datetime(2012, 1, 1), CUT_2023 - timedelta(days=3))
        else:
            connected = _between(rng, CUT_2023 + timedelta(days=5), CUT_2024 - timedelta(days=5))
        connected = connected.replace(hour=0, minute=0, second=0)
        email = ""
        if rng.random() < 0.06:
            email = f"{url.rsplit('/', 1)[-1].rsplit('-', 1)[0]}@example.com"
        world.people.append(
            Person(first, last, url, _pick(rng, COMPANIES), _pick(rng, TITLES), connected, email)
        )
    conns = world.people[:N_CONNECTIONS]
    order = rng.permutation(N_CONNECTIONS)
    for i in order[:8]:
        conns[i].tier = "weekly"
    for i in order[8:40]:
        conns[i].tier = "monthly"
    for i in order[40:90]:
        conns[i].tier = "quarterly"
    for i in order[90:260]:
        conns[i].tier = "dormant"
    for p in world.people[N_CONNECTIONS:]:
        p.tier = "new"
    # strong ties formed before the message history starts
    for p in conns:
        if p.tier in ("weekly", "monthly", "quarterly") and p.connected > START:
            p.connected = _between(rng, datetime(2014, 1, 1), START).replace(
                hour=0, minute=0, second=0
            )
    # role changes between the two exports
    for i in rng.choice(N_CONNECTIONS, 28, replace=False):
        p = conns[i]
        p.changed_at = _between(rng, CUT_2023, CUT_2024 - timedelta(days=20))
        if rng.random() < 0.7:
            p.new_company = _pick(rng, [c for c in COMPANIES if c != p.company])
            p.new_position = _pick(rng, TITLES)
        else:  # a promotion in the same company
            p.new_company = p.company
            p.new_position = _pick(rng, [t for t in TITLES if t != p.position])

    def company_at(p: Person, ts: datetime) -> str:
        return p.new_company if p.changed_at and ts >= p.changed_at else p.company

    def fill(text: str, p: Person, ts: datetime) -> str:
        topic = _pick(rng, TOPICS)
        return text.format(
            first=p.first,
            company=company_at(p, ts),
            topic=topic,
            slug=topic.replace(" ", "-"),
            city=_pick(rng, CITIES),
        )

    def exchange(p: Person, ts: datetime, opener: tuple[str, str] | None = None) -> None:
        """One back-and-forth: an opener and 0 to 4 replies with realistic latencies."""
        conv = _conv_id("1:1", p.url)
        by_owner = rng.random() < 0.55 if opener is None else True
        subject, text = opener or _pick(rng, OPENERS if by_owner else CONTACT_OPENERS)
        ts = _daytime(rng, ts)
        sender: Person | None = None if by_owner else p
        world.messages.append(
            Message(conv, "", sender, [p if by_owner else None], ts, subject, fill(text, p, ts))
        )
        for _ in range(int(rng.geometric(0.45)) - 1 if rng.random() < 0.8 else 0):
            ts = ts + timedelta(minutes=float(rng.lognormal(np.log(180), 1.3)))
            sender = p if sender is None else None
            reply = _pick(rng, REPLIES).format(first="Elena" if sender is p else p.first)
            world.messages.append(
                Message(conv, "", sender, [None if sender is p else p], ts, "", reply)
            )

    every = {"weekly": 7, "monthly": 30, "quarterly": 91}
    for p in conns:
        if p.tier in every:
            ts = START + timedelta(days=float(rng.uniform(0, every[p.tier])))
            while ts < CUT_2024:
                if rng.random() < 0.75:
                    exchange(p, ts)
                ts += timedelta(days=float(rng.normal(every[p.tier], every[p.tier] * 0.25)))
        elif p.tier == "dormant":
            first_ts = max(START, p.connected) + timedelta(days=float(rng.uniform(2, 120)))
            if first_ts > START + timedelta(days=500):
                first_ts = _between(rng, START, START + timedelta(days=400))
            exchange(p, first_ts)
            if rng.random() < 0.4:
                exchange(p, first_ts + timedelta(days=float(rng.uniform(20, 200))))
    for p in world.people[N_CONNECTIONS:]:  # new connections: a hello after connecting
        if rng.random() < 0.8:
            exchange(p, p.connected + timedelta(days=float(rng.uniform(0, 4))))
    # bursts around events
    for day, name in EVENTS:
        for i in rng.choice(N_CONNECTIONS, int(rng.integers(15, 30)), replace=False):
            p = conns[i]
            ts = day + timedelta(days=float(rng.uniform(-4, 6)))
            if p.connected < ts < CUT_2024:
                exchange(
                    p, ts, ("", f"Great to see you at {name}, {p.first}! Let's stay in touch.")
                )
    # congratulations on role changes (some)
    for p in conns:
        if p.changed_at and rng.random() < 0.5:
            ts = p.changed_at + timedelta(days=float(rng.uniform(1, 10)))
            text = f"Congratulations on the new role as {p.new_position} at {p.new_company}, {p.first}!"
            exchange(p, ts, ("", text))
    # group conversations
    close = [p for p in conns if p.tier in ("weekly", "monthly")]
    for title in [
        "DataConf speakers",
        "Berlin alumni",
        "Book club: Designing Data-Intensive Applications",
        "Hiring loop",
    ]:
        members = [close[i] for i in rng.choice(len(close), int(rng.integers(2, 4)), replace=False)]
        conv = _conv_id("group", title)
        ts = _between(rng, START + timedelta(days=60), CUT_2024 - timedelta(days=60))
        for _ in range(int(rng.integers(5, 14))):
            ts = _daytime(rng, ts + timedelta(days=float(rng.exponential(3))))
            sender = None if rng.random() < 0.35 else _pick(rng, members)
            to = [m for m in [None, *members] if m is not sender]
            text = _pick(
                rng,
                REPLIES + [f"Agenda for {title.lower()} is in the doc", "Who's in for Thursday?"],
            )
            world.messages.append(
                Message(conv, title, sender, to, ts, "", text.format(first="all"))
            )
    # recruiters and strangers (not connections), a few in the spam folder
    for k in range(12):
        first, last = _pick(rng, FIRST), _pick(rng, LAST)
        stranger = Person(
            first, last, _slug(first, last, rng), _pick(rng, COMPANIES), "Technical Recruiter", None
        )
        ts = _daytime(rng, _between(rng, START, CUT_2024))
        text = f"Hi Elena, I have a Head of Data role at {stranger.company} that fits your profile. Open to a chat?"
        folder = "SPAM" if k % 4 == 0 else "INBOX"
        world.messages.append(
            Message(
                _conv_id("stranger", stranger.url),
                "",
                stranger,
                [None],
                ts,
                "Opportunity",
                text,
                folder,
            )
        )
    # two unsent drafts (only the late-2024 layout marks drafts)
    for p in [close[0], close[1]]:
        ts = _daytime(rng, CUT_2024 - timedelta(days=float(rng.uniform(2, 20))))
        world.messages.append(
            Message(
                _conv_id("1:1", p.url),
                "",
                None,
                [p],
                ts,
                "",
                f"Hi {p.first}, about the intro I promised...",
                draft=True,
            )
        )
    world.messages.sort(key=lambda m: m.ts)

    # invitations: the new connections (accepted ones disappear from the file; pending stay)
    for p in world.people[N_CONNECTIONS:]:
        if rng.random() < 0.5:
            world.invitations.append((p, "INCOMING", p.connected - timedelta(days=1), ""))
    for _ in range(10):
        first, last = _pick(rng, FIRST), _pick(rng, LAST)
        x = Person(
            first, last, _slug(first, last, rng), _pick(rng, COMPANIES), _pick(rng, TITLES), None
        )
        direction = "OUTGOING" if rng.random() < 0.4 else "INCOMING"
        note = "Great meeting you at the meetup!" if rng.random() < 0.5 else ""
        world.invitations.append(
            (x, direction, _daytime(rng, _between(rng, START, CUT_2024)), note)
        )
    world.invitations.sort(key=lambda r: r[2], reverse=True)

    # endorsements: received from many, given back to some
    givers = [conns[i] for i in rng.choice(N_CONNECTIONS, 45, replace=False)]
    for p in givers:
        ts = _daytime(rng, _between(rng, max(START, p.connected), CUT_2024))
        world.endorse_in.append((ts, _pick(rng, SKILLS), p))
        if rng.random() < 0.45:  # returned
            back = ts + timedelta(days=float(rng.uniform(1, 40)))
            if back < CUT_2024:
                world.endorse_out.append((_daytime(rng, back), _pick(rng, SKILLS), p))
    for i in rng.choice(N_CONNECTIONS, 6, replace=False):
        p = conns[i]
        world.endorse_out.append(
            (_daytime(rng, _between(rng, START, CUT_2024)), _pick(rng, SKILLS), p)
        )
    world.endorse_in.sort(key=lambda r: r[0], reverse=True)
    world.endorse_out.sort(key=lambda r: r[0], reverse=True)
    # recommendations: five received, two given (one of them returning the favour)
    recommenders = [p for p in conns if p.tier in ("weekly", "monthly", "quarterly")][:5]
    for p in recommenders:
        ts = _daytime(rng, _between(rng, START, CUT_2024 - timedelta(days=10)))
        text = (
            f"I worked with Elena at {_pick(rng, ['Nordlicht', 'Acme Retail', 'Kestrel'])}. She builds "
            "data engineering teams that ship, and she is generous with her time."
        )
        world.recommend_in.append((p, text, ts))
    for p, _, ts in world.recommend_in[:2]:
        text = f"{p.first} is one of the most thoughtful {p.position.lower()}s I have worked with."
        world.recommend_out.append((p, text, ts + timedelta(days=float(rng.uniform(3, 30)))))
    return world


# -- writing the exports ---------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[str]], final_newline: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    return (text if final_newline else text.rstrip("\n")).encode("utf-8")


def _us(ts: datetime) -> str:  # 6/1/24, 7:15 PM
    return (
        f"{ts.month}/{ts.day}/{ts.strftime('%y')}, {int(ts.strftime('%I'))}:{ts.strftime('%M %p')}"
    )


def export_files(world: World, cut: datetime, layout: int) -> dict[str, bytes]:
    """The files of the export LinkedIn would have produced at ``cut`` (layout 2023 or 2024)."""
    owner_name = " ".join(OWNER)
    files: dict[str, bytes] = {}
    files["Profile.csv"] = _csv(
        H_PROFILE,
        [[OWNER[0], OWNER[1], "", "", "", "Head of Data Engineering at Kestrel Analytics",
          "I build data platforms and the teams that run them.", "Software Development", "",
          "Lisbon, Portugal", "", "", ""]],
    )  # fmt: skip
    files["Positions.csv"] = _csv(
        H_POSITIONS, [[c, t, "", loc, s, f] for c, t, loc, s, f in OWNER_POSITIONS]
    )
    conns = sorted(
        (p for p in world.people if p.connected and p.connected <= cut),
        key=lambda p: p.connected,
        reverse=True,
    )
    rows = []
    for p in conns:
        changed = p.changed_at is not None and p.changed_at <= cut
        rows.append([
            p.first, p.last, p.url, p.email,
            p.new_company if changed else p.company,
            p.new_position if changed else p.position,
            p.connected.strftime("%d %b %Y"),
        ])  # fmt: skip
    files["Connections.csv"] = PREAMBLE.encode() + _csv(H_CONNECTIONS, rows, final_newline=False)

    def name(p: Person | None) -> str:
        return owner_name if p is None else p.name

    def url(p: Person | None) -> str:
        return OWNER_URL if p is None else p.url

    msgs = [m for m in world.messages if m.ts <= cut and (layout == 2024 or not m.draft)]
    rows = []
    for m in sorted(msgs, key=lambda m: (m.conv, m.ts), reverse=True):
        base = [m.conv, m.title, name(m.sender), url(m.sender), ", ".join(name(p) for p in m.to)]
        tail = [m.ts.strftime("%Y-%m-%d %H:%M:%S UTC"), m.subject, m.content, m.folder]
        if layout == 2024:
            rows.append(
                base + [",".join(url(p) for p in m.to)] + tail + [str(m.draft).lower(), "false"]
            )
        else:
            rows.append(base + tail)
    files["messages.csv"] = _csv(H_MSG_2024 if layout == 2024 else H_MSG_2023, rows)

    rows = []
    for p, direction, ts, note in world.invitations:
        if ts > cut or (p.connected and p.connected <= cut):
            continue  # accepted invitations leave the file
        pair = [owner_name, p.name] if direction == "OUTGOING" else [p.name, owner_name]
        if layout == 2024:
            urls = [OWNER_URL, p.url] if direction == "OUTGOING" else [p.url, OWNER_URL]
        else:
            member = "urn:li:fsd_profile:ACoAA" + hashlib.md5(p.url.encode()).hexdigest()[:14]
            urls = [
                member if direction == "INCOMING" else "",
                member if direction == "OUTGOING" else "",
            ]
        rows.append(pair + [_us(ts), note, direction] + urls)
    files["Invitations.csv"] = _csv(H_INV_2024 if layout == 2024 else H_INV_2023, rows)

    def endorse(items):
        out = []
        for ts, skill, p in items:
            if ts <= cut:
                public = p.url.replace("https://", "")
                out.append(
                    [
                        ts.strftime("%Y/%m/%d %H:%M:%S UTC"),
                        skill,
                        p.first,
                        p.last,
                        public,
                        "ACCEPTED",
                    ]
                )
        return out

    files["Endorsement_Received_Info.csv"] = _csv(H_ENDORSE_IN, endorse(world.endorse_in))
    files["Endorsement_Given_Info.csv"] = _csv(H_ENDORSE_OUT, endorse(world.endorse_out))

    def recommend(items):
        return [
            [
                p.first,
                p.last,
                p.company,
                p.position,
                text,
                ts.strftime("%m/%d/%y, %I:%M %p"),
                "VISIBLE",
            ]
            for p, text, ts in items
            if ts <= cut
        ]

    files["Recommendations_Received.csv"] = _csv(H_RECOMMEND, recommend(world.recommend_in))
    files["Recommendations_Given.csv"] = _csv(H_RECOMMEND, recommend(world.recommend_out))
    return files


def write_zip(target: Path, files: dict[str, bytes], stamp: datetime) -> None:
    """A zip whose bytes depend only on ``files`` and ``stamp`` (fixed entry metadata)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[name], compresslevel=9)


def generate(out: Path = OUT, seed: int = SEED) -> list[Path]:
    world = build_world(seed)
    targets = []
    for cut, layout, name in (
        (CUT_2023, 2023, "linkedin-export-2023-06.zip"),
        (CUT_2024, 2024, "linkedin-export-2024-06.zip"),
    ):
        target = out / name
        write_zip(target, export_files(world, cut, layout), cut)
        targets.append(target)
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the sample LinkedIn exports.")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for target in generate(args.out, args.seed):
        print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
