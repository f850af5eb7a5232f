"""Prints the results file written by the benchmarks as a Markdown table."""
import json
import sys


def shown(v):
    if isinstance(v, float):
        return "%.2f" % v if v < 100 else "{:,}".format(round(v))
    if isinstance(v, int):
        return "{:,}".format(v)
    return str(v)


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| bench | metric | value | target | met | note |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s %s | %s | %s | %s |" % (
            r["bench"], r["metric"], shown(r["value"]), r["unit"], r["target"] or "",
            "" if r["met"] is None else ("yes" if r["met"] else "**no**"), r["note"]))


if __name__ == "__main__":
    main()
