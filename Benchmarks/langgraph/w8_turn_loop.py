"""W8 agent turn loop on LangGraph with its SQLite checkpointer (SqliteSaver).

The reference run for StateLog's W8 (BENCHMARKS.md, Benchmarks/Sources/
BenchSupport/AgentStateWorkloads.swift): one conversation (one thread_id) grown
to N turns. Each turn invokes a minimal StateGraph (MessagesState, i.e. a
`messages` key with the `add_messages` reducer, plus token counters) with the
user message; its one node appends a deterministic assistant reply (no LLM) and
updates the counters. The turn's time is `graph.invoke(...)` plus the
`graph.get_state(config)` after it. The texts are the ones StateLog's W8 writes:
same word list, same SplitMix64 generator and seed, so the message text bytes
match StateLog's byte for byte (264,234 after 500 turns).

Durability is SqliteSaver's own: every checkpoint and every write is committed
(`conn.commit()`) before `invoke` returns, on a connection in WAL mode with
SQLite's default `synchronous` (read back and reported, never changed here).

Usage: python w8_turn_loop.py --directory DIR [--turns 500] [--output F]
"""
import argparse, datetime, json, math, os, platform, sqlite3, sys, time
from importlib.metadata import version

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, MessagesState, StateGraph

# Dataset.words of Benchmarks/Sources/BenchSupport/Dataset.swift, in order.
WORDS = """the a to of and in is it you that for on with as this be are can I we will your
not have from or by an if at do what so but how which more would should could
file function error test build log event stream version append durable snapshot
agent task step tool call result message model token context window prompt reply
please thanks sure here let me check again run the tests failed passed because
memory disk write read fsync batch index segment recovery crash resume state
user assistant question answer example code change review update config value
first next last before after while until then also just only still maybe likely
data schema payload record sequence time order offset header checksum compress
Swift package target module import struct class enum protocol extension closure
server client request response latency throughput benchmark measure compare
looks good I think we need to fix this line and add one more case for it""".split()
MASK = (1 << 64) - 1


class SplitMix64:
    """The generator of Benchmarks/Sources/BenchSupport/SplitMix64.swift."""
    def __init__(self, seed): self.state = seed
    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def text(nbytes, rng):
    """Words of WORDS, at least `nbytes` long (AgentStateWorkloads.text)."""
    result = ""
    while len(result.encode()) < nbytes:
        result += (" " if result else "") + WORDS[rng.next() % len(WORDS)]
    return result


def make_turns(turns):
    """(question 60-180 B, answer 370-430 B) per turn, StateLog's W8 seed."""
    rng, out = SplitMix64(0x5EED0008), []
    for _ in range(turns):
        question = text(60 + rng.next() % 120, rng)
        answer = text(370 + rng.next() % 60, rng)
        out.append((question, answer))
    return out


class ChatState(MessagesState):  # messages: Annotated[list, add_messages]
    prompt_tokens: int
    completion_tokens: int


def build_graph(checkpointer, texts):
    def assistant(state):
        turn = (len(state["messages"]) + 1) // 2  # the user message is already in
        question, answer = texts[turn - 1]
        prompt, completion = 200 + turn * 8, len(answer.encode()) // 4  # as StateLog's W8
        usage = {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}
        return {"messages": [AIMessage(content=answer, usage_metadata=usage)],
                "prompt_tokens": state.get("prompt_tokens", 0) + len(question.encode()) // 4 + prompt,
                "completion_tokens": state.get("completion_tokens", 0) + completion}
    builder = StateGraph(ChatState)
    builder.add_node("assistant", assistant)
    builder.add_edge(START, "assistant")
    builder.add_edge("assistant", END)
    return builder.compile(checkpointer=checkpointer)


def percentiles(samples):
    """Nearest rank, as Percentiles in AgentStateWorkloads.swift."""
    s = sorted(samples)
    if not s:
        return {"count": 0}
    rank = lambda p: s[max(0, min(len(s) - 1, math.ceil(p * len(s)) - 1))]
    return {"count": len(s), "p50Nanoseconds": rank(0.50), "p99Nanoseconds": rank(0.99),
            "maxNanoseconds": s[-1], "meanNanoseconds": sum(s) / len(s)}


def footprint(path):
    """(bytes, allocated bytes) of the database file and its -wal and -shm."""
    files = {s: os.stat(path + s) for s in ("", "-wal", "-shm") if os.path.exists(path + s)}
    return {"bytes": sum(f.st_size for f in files.values()), "allocatedBytes": sum(f.st_blocks * 512 for f in files.values()),
            "files": {"db" + s: f.st_size for s, f in files.items()}}


def fmt(ns):
    return f"{ns / 1e9:.2f} s" if ns >= 1e9 else f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=int(os.environ.get("STATELOG_BENCH_W8_TURNS", 500)))
    ap.add_argument("--directory", required=True, help="an empty scratch directory for the database")
    ap.add_argument("--output", help="write the results as JSON here")
    ap.add_argument("--samples", type=int, default=20, help="current state / state at turn 10 samples")
    ap.add_argument("--history-samples", type=int, default=3)
    ap.add_argument("--durability", default="async", choices=["sync", "async"],
                    help="graph.invoke durability (LangGraph's default: async; both commit before invoke returns)")
    args = ap.parse_args()
    path = os.path.join(args.directory, "w8.sqlite")
    config = {"configurable": {"thread_id": "w8"}}
    texts = make_turns(args.turns)
    marks = sorted({m for m in (100, 250, 500, args.turns) if m <= args.turns})
    turn_ns, marks_out, text_bytes = [], [], 0

    with SqliteSaver.from_conn_string(path) as saver:
        saver.setup()
        pragma = lambda name: saver.conn.execute(f"PRAGMA {name}").fetchone()[0]
        sqlite_settings = {"sqliteVersion": sqlite3.sqlite_version, "journal_mode": pragma("journal_mode"),
                           "synchronous": pragma("synchronous"), "wal_autocheckpoint": pragma("wal_autocheckpoint")}
        graph = build_graph(saver, texts)
        for turn, (question, answer) in enumerate(texts, 1):
            text_bytes += len(question.encode()) + len(answer.encode())
            start = time.perf_counter_ns()
            graph.invoke({"messages": [HumanMessage(content=question)]}, config, durability=args.durability)
            state = graph.get_state(config)
            turn_ns.append(time.perf_counter_ns() - start)
            assert len(state.values["messages"]) == 2 * turn, f"{len(state.values['messages'])} after turn {turn}"
            if turn in marks:
                marks_out.append({"turn": turn, **footprint(path), "messageTextBytes": text_bytes})
                print(f"  turn {turn}: {marks_out[-1]['bytes'] / 1e6:.1f} MB on disk, turn p50 so far "
                      f"{fmt(percentiles(turn_ns)['p50Nanoseconds'])}", file=sys.stderr, flush=True)
        rows = {t: saver.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("checkpoints", "writes")}

    current = []  # get_state on a freshly opened saver and graph (the open is not timed)
    for _ in range(args.samples):
        with SqliteSaver.from_conn_string(path) as saver:
            saver.setup()
            graph = build_graph(saver, texts)
            start = time.perf_counter_ns()
            state = graph.get_state(config)
            current.append(time.perf_counter_ns() - start)
            assert len(state.values["messages"]) == 2 * args.turns

    with SqliteSaver.from_conn_string(path) as saver:
        graph = build_graph(saver, texts)
        history = list(graph.get_state_history(config))  # also the warm-up for the history timing
        # The last checkpoint of turn 10: 20 messages, written by the loop, nothing left to run.
        at10 = next((s for s in history if len(s.values.get("messages", [])) == 20
                    and s.metadata.get("source") == "loop" and not s.next), None)
        turn10 = []  # stays empty with fewer than 10 turns
        if at10:
            graph.get_state(at10.config)  # warm-up, as StateLog's W8
        for _ in range(args.samples if at10 else 0):
            start = time.perf_counter_ns()
            state = graph.get_state(at10.config)
            turn10.append(time.perf_counter_ns() - start)
            assert len(state.values["messages"]) == 20
        listing = []
        for _ in range(args.history_samples):
            start = time.perf_counter_ns()
            entries = list(graph.get_state_history(config))
            listing.append(time.perf_counter_ns() - start)
            assert len(entries) == len(history)

    result = {
        "workload": "W8", "langgraphVersion": version("langgraph"),
        "checkpointSqliteVersion": version("langgraph-checkpoint-sqlite"),
        "checkpointVersion": version("langgraph-checkpoint"), "langchainCoreVersion": version("langchain-core"),
        "python": platform.python_version(), "platform": platform.platform(), "durability": args.durability,
        "sqlite": sqlite_settings, "turns": args.turns, "checkpointRows": rows["checkpoints"], "writeRows": rows["writes"],
        "historyEntries": len(history), "turn": percentiles(turn_ns), "footprint": marks_out,
        "currentStateFreshStore": percentiles(current), "stateAtTurn10": percentiles(turn10),
        "history": percentiles(listing),
        "turnSamplesNanoseconds": turn_ns, "historySamplesNanoseconds": listing, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    print(f"W8 agent turn loop on LangGraph {result['langgraphVersion']} SqliteSaver "
          f"{result['checkpointSqliteVersion']} (Python {result['python']}, SQLite {sqlite3.sqlite_version}, "
          f"journal_mode={sqlite_settings['journal_mode']}, synchronous={sqlite_settings['synchronous']}, "
          f"durability={args.durability}): {args.turns} turns, {rows['checkpoints']} checkpoints, {rows['writes']} writes")
    lines = [("Turn (invoke + get_state), p50", fmt(result["turn"]["p50Nanoseconds"])),
             ("Turn, p99", fmt(result["turn"]["p99Nanoseconds"])), ("Turn, mean", fmt(result["turn"]["meanNanoseconds"]))]
    lines += [(f"On disk after {m['turn']} turns", f"{m['bytes'] / 1e6:.1f} MB ({m['bytes'] / m['messageTextBytes']:.0f}x the "
               f"{m['messageTextBytes']:,} B of message text; WAL {m['files'].get('db-wal', 0) / 1e6:.1f} MB)")
              for m in marks_out]
    lines += [("Current state, fresh saver, p50 / p99", f"{fmt(result['currentStateFreshStore']['p50Nanoseconds'])} / "
               f"{fmt(result['currentStateFreshStore']['p99Nanoseconds'])}"),
              ("State at turn 10, p50 / p99", f"{fmt(result['stateAtTurn10']['p50Nanoseconds'])} / "
               f"{fmt(result['stateAtTurn10']['p99Nanoseconds'])}" if turn10 else "-"),
              (f"Full history ({len(history)} snapshots), p50 of {args.history_samples}", fmt(result["history"]["p50Nanoseconds"]))]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"  {key:<{width}}  {value}")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
