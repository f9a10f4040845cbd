"""Groups `perf report --no-children --stdio --sort sym` lines into components of srmatrix's
import: reads the report on standard input, prints one line of shares for the input named by
the first argument. The first matching pattern decides a symbol's component."""
import re
import sys

COMPONENTS = [
    ("SHA-256", r"sha2::"),
    ("tokenize, split", r"memchr|tokenize::|split::|Splitter|count_breaks|csv_core|Tokenizer"),
    ("Parquet decoding", r"parquet::|snap::|bytes::|zstd|values::Leaf|rows::spread|map_entries"),
    ("row access, plan", r"srmatrix_import::|RowText"),
    ("finish, merge", r"finish_with|::merge|distinct::"),
    ("aggregate", r"AssessmentBuilder::add|FieldNumbers|hashbrown|foldhash|DistinctIds|assess::"),
    ("resource rules", r"resolve::|Resolver"),
    ("UTF-8 checks", r"from_utf8|validations"),
    ("memory copy, compare, allocation", r"memcmp|memmove|memcpy|memset|malloc|_int_free|cfree|realloc"),
    ("kernel", r"\[k\]"),
]


def main() -> None:
    shares: dict[str, float] = {}
    for line in sys.stdin:
        m = re.match(r"\s+([\d.]+)%\s+(\[.\])\s+(.*)", line)
        if not m:
            continue
        text = f"{m.group(2)} {m.group(3)}"
        name = next((n for n, p in COMPONENTS if re.search(p, text)), "other")
        shares[name] = shares.get(name, 0.0) + float(m.group(1))
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    print(f"{sys.argv[1]}: " + ", ".join(f"{n} {v:.0f}%" for n, v in ranked if v >= 1))


if __name__ == "__main__":
    main()
