"""Is this .sql file written for another database? Projects that support several engines keep
MySQL, SQLite, Oracle, ClickHouse or Spanner schemas beside the PostgreSQL ones, with the same
extension. Their statements fail PostgreSQL's grammar for reasons no rewrite can fix, so a
failure there is reported as "not PostgreSQL" rather than as a statement we could not read.
"""
from __future__ import annotations

import re

_MARKERS = (
    ("MySQL", re.compile(
        r"`\w+`|\bauto_increment\b|\bengine\s*=\s*\w|\bunsigned\b|\b(?:tiny|medium|long)(?:int|text|blob)\b|"
        r"^\s*delimiter\b|\bmodify\s+column\b|\bfulltext\b|\bflush\s+privileges\b|"
        r"\b(?:character\s+set|charset)\s*=?\s*utf8|\bdrop\s+index\s+(?:if\s+exists\s+)?\w+\s+on\b|"
        r"\bview\s+\S+\s+sql\s+security\b|\blast_insert_id\s*\(|\bdate_(?:add|sub)\s*\(|\bdelete\s+\w+\s+from\b|"
        r"^\s*use\s+\w+\s*;|\bupdate\s+\w+(?:\s+as)?\s+\w+\s+(?:inner\s+)?join\b|\blocate\s*\(|"
        # `int(11)`: a display width, which PostgreSQL's integer types do not take; `alter table t
        # modify c ...` without Oracle's parenthesis
        r"\b(?:tiny|small|medium|big)?int(?:eger)?\s*\(\s*\d+\s*\)|\balter\s+table\s+\S+\s+modify\s+(?!\()|"
        # PostgreSQL drops a foreign key or an index by other statements, names a foreign key only
        # through CONSTRAINT, runs a trigger's body only through EXECUTE FUNCTION, and has no
        # DATABASE() or PREPARE ... FROM
        r"\bdrop\s+foreign\s+key\b|\balter\s+table\s+\S+\s+drop\s+index\b|\badd\s+foreign\s+key\s+\w+\s*\(|"
        r"\bfor\s+each\s+row\s+(?:update|insert|delete|set|begin)\b|\bdatabase\s*\(\s*\)|^\s*prepare\s+\w+\s+from\b|"
        # PostgreSQL resolves a conflict with ON CONFLICT, renames or retypes a column with RENAME
        # COLUMN / ALTER COLUMN, copies a table's columns with `(LIKE t)`, marks a routine
        # IMMUTABLE, and has no `@user` variables
        r"\bon\s+duplicate\s+key\s+update\b|\balter\s+table\s+(?:if\s+exists\s+)?\S+\s+change\s+(?:column\s+)?\w+\s+\w+\s+\w|"
        r"\bcreate\s+(?:temporary\s+)?table\s+(?:if\s+not\s+exists\s+)?[\w.]+\s+like\s+\w|"
        r"\breturns\s+\w+(?:\s*\([\d\s,]*\))?\s+(?:not\s+)?deterministic\b|^\s*set\s+@\w+\s*:?=",
        re.I | re.M,
    )),
    ("SQLite", re.compile(
        r"\bautoincrement\b|^\s*pragma\s|\bwithout\s+rowid\b|\bcreate\s+virtual\s+table\b|"
        # `INSERT OR IGNORE INTO`, and SQLite's date functions (`datetime('now')` once strings are
        # set aside below is `datetime( )`; MySQL's `DATETIME(6)` is a type with a precision)
        r"\binsert\s+or\s+(?:ignore|replace|abort|fail|rollback)\s+into\b|\b(?:strftime|julianday)\s*\(|\bdatetime\s*\(\s*[,)]",
        re.I | re.M,
    )),
    ("ClickHouse", re.compile(r"\b(?:U?Int(?:8|16|32|64)|FixedString|LowCardinality|MergeTree)\b|\bcreate\s+dictionary\b|\*\s+EXCEPT\s*\(")),
    ("Spanner", re.compile(
        r"\bnull_filtered\b|\binterleave\s+in\s+parent\b|\bstring\s*\(\s*max\s*\)|\b(?:int64|float64)\b", re.I
    )),
    ("Oracle", re.compile(
        r"\bn?varchar2\b|\bnumber\s*\(\s*\d|\borganization\s+index\b|\bpctfree\b|\bdbms_\w+\.|\bsysdate\b|"
        r"\bnocompress\b|\bscope\s*=\s*(?:spfile|memory|both)\b|^\s*/\s*$|\bexecute\s+immediate\b|\bclob\b|"
        r"^\s*set\s+(?:echo|serveroutput|feedback|linesize|pagesize)\s",
        re.I | re.M,
    )),
    ("OrientDB", re.compile(r"^\s*connect\s+(?:remote|plocal|memory):", re.I | re.M)),
    ("Vertica", re.compile(
        r"\bcreate\s+projection\b|\bencoding\s+(?:rle|auto|deltaval|deltarange_comp|commondelta_comp|block_dict|gcdelta)\b|"
        r"\bunsegmented\s+all\s+nodes\b|\bsegmented\s+by\s+hash\b",
        re.I,
    )),
    # EDB Postgres Advanced Server's Oracle-compatible objects, which PostgreSQL does not have.
    ("EDB Advanced Server", re.compile(
        r"\b(?:create|drop|alter)\s+(?:or\s+replace\s+)?(?:public\s+)?(?:synonym|package(?:\s+body)?|resource\s+group|directory)\b|"
        r"\bcompound\s+trigger\b|\bvarray\b",
        re.I,
    )),
    # PostgreSQL writes `password '...'`; Oracle, MySQL and Vertica write `identified by`.
    ("Oracle, MySQL or Vertica", re.compile(r"\bidentified\s+by\b", re.I)),
    ("T-SQL", re.compile(r"^\s*go\s*$|\boutput\s+inserted\.|\bidentity\s*\(\s*\d+\s*,\s*\d+\s*\)|\bnvarchar\s*\(\s*max\s*\)", re.I | re.M)),
)


# An account, `'app'@'%'` or `app@'localhost'`; or `'www-data'@localhost` where a grant or a
# definer names one, outside comments (which hold e-mail addresses).
_MYSQL_USER = re.compile(r"(?:'[\w.-]+'|\b\w+)@'[^'\n]*'")
_MYSQL_GRANTEE = re.compile(r"(?:\b(?:to|from|user)\s+|\bdefiner\s*=\s*|,\s*)'[\w.-]+'@[\w%][\w.%-]*", re.I)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
# `!= ""`: a string in double quotes (PostgreSQL has no empty name). Read before quoted names are
# set aside below, since `""` is what that step would see as one.
_MYSQL_EMPTY_STRING = re.compile(r"(?:!=|<>|=)\s*\"\"(?!\")")
# A table named by a string where a statement creates or fills it, which SQLite accepts and
# PostgreSQL and MySQL refuse: `CREATE TABLE 'jobs' (`, `INSERT INTO 'jobs' (`. Read before strings are
# set aside, outside comments.
_SQLITE_QUOTED_TABLE = re.compile(
    r"^\s*(?:create\s+(?:temp(?:orary)?\s+)?table\s+(?:if\s+not\s+exists\s+)?|insert\s+(?:or\s+\w+\s+)?into\s+)'[\w.$-]+'\s*\(",
    re.I | re.M,
)
# A MySQL table's collation given as a string (`) COLLATE 'utf8mb4_unicode_ci'`, `COLLATE=utf8_bin`);
# PostgreSQL's collations are names, written in double quotes.
_MYSQL_COLLATION = re.compile(r"\bcollate\s*=?\s*'?utf8(?:mb[34])?_\w+", re.I)
# Comments, strings, quoted names and dollar-quoted bodies do not count: PostgreSQL migrations quote names
# `like this` in comments and COMMENT ON strings.
_NOT_CODE = re.compile(r"--[^\n]*|/\*.*?\*/|\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|\$(\w*)\$.*?\$\1\$", re.S)


def foreign_dialect(text: str) -> str | None:
    """The name of the other database this SQL is written for, or None."""
    if _MYSQL_USER.search(text) or _MYSQL_EMPTY_STRING.search(text):
        return "MySQL"
    lowered = text.lower()
    if "'@" in text or "collate" in lowered or ("'" in text and ("table" in lowered or "into" in lowered)):
        code = _COMMENTS.sub(" ", text)
        if "'@" in text and _MYSQL_GRANTEE.search(code):
            return "MySQL"
        if _MYSQL_COLLATION.search(code):
            return "MySQL"
        if _SQLITE_QUOTED_TABLE.search(code):
            return "SQLite"
    text = _NOT_CODE.sub(" ", text)
    for name, pattern in _MARKERS:
        if pattern.search(text):
            return name
    return None
