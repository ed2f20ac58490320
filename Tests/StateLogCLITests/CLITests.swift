import Foundation
import Subprocess
import SystemPackage
import TestSupport
import Testing

@testable import StateLog

/// Runs the built `statelog` binary as a child process and checks its output
/// and exit codes.
@Suite("statelog CLI", .timeLimit(.minutes(2)))
struct CLITests {
  struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func statelog(_ arguments: String...) async throws -> Outcome {
    let result = try await Subprocess.run(
      .path(FilePath(builtProductPath("statelog"))), arguments: Arguments(arguments),
      output: .string(limit: 1 << 20), error: .string(limit: 1 << 16))
    var status: Int32 = -1
    if case .exited(let code) = result.terminationStatus { status = code }
    return Outcome(status: status, stdout: result.standardOutput, stderr: result.standardError)
  }

  static func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
  }

  @Test("demo writes a log and tours it; the other commands read that log")
  func demoAndReads() async throws {
    let directory = TemporaryDirectory("cli-demo")
    let log = directory.child("log")
    let demo = try await Self.statelog("demo", log)
    #expect(demo.status == 0, "\(demo.stderr)")
    let demoJSON = try await Self.statelog("demo", directory.child("json-demo"), "--format", "json")
    let summary = try Self.json(demoJSON.stdout)
    #expect(summary["events"] as? Int == 23)
    let task = (summary["streams"] as? [String: Any])?["task/book-trip"] as? [String: Any]
    #expect((task?["changed_since"] as? String)?.contains("hotel pending → done") == true)
    #expect(demo.stdout.contains("What did the agent know at 2026-11-24T14:02:00"))
    #expect(demo.stdout.contains("sound"))

    let info = try await Self.statelog("info", log, "--format", "json")
    #expect(info.status == 0)
    #expect(try Self.json(info.stdout)["events"] as? Int == 23)

    let verify = try await Self.statelog("verify", log)
    #expect(verify.status == 0)
    #expect(verify.stdout.hasPrefix("sound"))

    let streams = try await Self.statelog("streams", log, "--kind", "task")
    #expect(streams.stdout.contains("task/book-trip"))
    #expect(!streams.stdout.contains("profile/alice"))

    let history = try await Self.statelog("history", log, "task/book-trip", "--format", "json")
    #expect(history.stdout.split(separator: "\n").count == 12)

    let diff = try await Self.statelog(
      "diff", log, "task/book-trip", "--from", "2026-11-24T14:02:00Z", "--format", "json")
    #expect(diff.status == 0, "\(diff.stderr)")
    let changes = try Self.json(diff.stdout)
    #expect((changes["summary"] as? String)?.contains("hotel pending → done") == true)
    #expect((changes["events"] as? [Any])?.count == 10)
    let diffText = try await Self.statelog(
      "diff", log, "conversation/trip-planning", "--from", "v:2", "--to", "v:4")
    #expect(diffText.stdout.contains("2 messages added"))
    let events = try await Self.statelog(
      "events", log, "--stream", "profile/alice", "--limit", "1", "--format", "json")
    let first = try Self.json(events.stdout)
    #expect(first["schema_version"] as? Int == 3, "events are upcast by default")
    let raw = try await Self.statelog(
      "events", log, "--stream", "profile/alice", "--limit", "1", "--raw", "--format", "json")
    #expect(try Self.json(raw.stdout)["schema_version"] as? Int == 1, "--raw shows the stored version")

    let all = try await Self.statelog(
      "state", log, "--all", "--at", "2026-11-24T14:02:00Z", "--format", "json")
    #expect(all.status == 0, "\(all.stderr)")
    let allStates = try Self.json(all.stdout)
    let states = allStates["states"] as? [String: Any] ?? [:]
    #expect(states.keys.sorted() == ["conversation/trip-planning", "profile/alice", "task/book-trip"])
    let one = try await Self.statelog(
      "state", log, "task/book-trip", "--at", "2026-11-24T14:02:00Z", "--format", "json")
    #expect(
      (states["task/book-trip"] as? [String: Any])?["version"] as? Int
        == (try Self.json(one.stdout)["version"] as? Int))
    let allText = try await Self.statelog("state", log, "--all")
    #expect(allText.stdout.hasPrefix("3 streams at sequence 23"))
    #expect(allText.stdout.contains("completed, 3/3 subtasks done"))
  }

  @Test("state --at agrees with the library for a sequence, a version, an ISO time and a relative time")
  func stateAt() async throws {
    let directory = TemporaryDirectory("cli-state")
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    do {
      let log = try Log.open(at: directory.path)
      let codec = BinaryPayloadCodec()
      for (hoursAgo, key) in [(5, "a"), (3, "b"), (1, "c")] {
        try log.append([
          NewEvent(
            stream: "profile/p", type: "profile.preference_set",
            timestamp: Timestamp(nanosecondsSinceEpoch: now - Int64(hoursAgo) * 3_600_000_000_000),
            payload: codec.encode(["key": .string(key), "value": true]))
        ])
      }
      try log.close()
    }
    let cases: [(String, [String])] = [
      ("2", ["a", "b"]), ("seq:1", ["a"]), ("v:3", ["a", "b", "c"]), ("-2h", ["a", "b"]), ("-4h", ["a"]),
      // Longer ago than 64 bits of nanoseconds: the beginning (this trapped once).
      ("-6h", []), ("-1e300d", []),
      (Timestamp(nanosecondsSinceEpoch: now - 2 * 3_600_000_000_000).description, ["a", "b"]),
    ]
    for (point, keys) in cases {
      let outcome = try await Self.statelog(
        "state", directory.path, "profile/p", "--at", point, "--format", "json")
      #expect(outcome.status == 0, "\(point): \(outcome.stderr)")
      let state = try Self.json(outcome.stdout)["state"] as? [String: Any]
      let preferences = state?["preferences"] as? [String: Any] ?? [:]
      #expect(preferences.keys.sorted() == keys, "--at \(point)")
      #expect(try Self.json(outcome.stdout)["version"] as? Int == keys.count)
    }
  }

  static func statelog(_ arguments: [String], input: String) async throws -> Outcome {
    let result = try await Subprocess.run(
      .path(FilePath(builtProductPath("statelog"))), arguments: Arguments(arguments), input: .string(input),
      output: .string(limit: 1 << 20), error: .string(limit: 1 << 16))
    var status: Int32 = -1
    if case .exited(let code) = result.terminationStatus { status = code }
    return Outcome(status: status, stdout: result.standardOutput, stderr: result.standardError)
  }

  @Test(
    "append prints one position per line; a bad line writes nothing of its batch; export and import round-trip"
  )
  func appendImportExport() async throws {
    let directory = TemporaryDirectory("cli-append")
    let log = directory.child("log")
    let lines = [
      #"{"stream":"task/t1","type":"task.created","data":{"goal":"ship","subtasks":[{"id":"a","description":"A"}]},"time":"2026-11-24T14:02:00.123456789Z"}"#,
      #"{"stream":"task/t1","type":"task.subtask_started","data":{"id":"a"},"expected_version":1}"#,
      #"{"stream":"profile/p","type":"profile.preference_set","data":{"key":"ui.theme","value":"dark"},"time":1795528920000000000,"id":"6ba7b810-9dad-41d1-80b4-00c04fd430c8"}"#,
    ]
    let appended = try await Self.statelog(["append", log], input: lines.joined(separator: "\n") + "\n")
    #expect(appended.status == 0, "\(appended.stderr)")
    let outputs = try appended.stdout.split(separator: "\n").map { try Self.json(String($0)) }
    #expect(outputs.map { $0["line"] as? Int } == [1, 2, 3])
    #expect(outputs.map { $0["seq"] as? Int } == [1, 2, 3])
    #expect(outputs[2]["id"] as? String == "6ba7b810-9dad-41d1-80b4-00c04fd430c8")

    let bad = try await Self.statelog(
      ["append", log],
      input: #"{"stream":"task/t1","type":"task.subtask_completed","data":{"id":"a"}}"#
        + "\n{\"stream\":\"x\"}\n")
    #expect(bad.status == 8)
    #expect(bad.stderr.contains("line 2"))
    let conflict = try await Self.statelog(
      ["append", log],
      input: #"{"stream":"task/t1","type":"task.subtask_completed","data":{"id":"a"},"expected_version":7}"#
        + "\n")
    #expect(conflict.status != 0)
    #expect(try Log.openReadOnly(at: log).lastSequence == 3, "nothing of a failed batch is written")

    let exported = try await Self.statelog("export", log)
    #expect(exported.stdout.split(separator: "\n").count == 3)
    #expect(exported.stdout.contains(#""time":"2026-11-24T14:02:00.123456789Z""#))
    Files.write(directory.child("backup.jsonl"), Array(exported.stdout.utf8))
    let copy = directory.child("copy")
    #expect(try await Self.statelog("import", copy, directory.child("backup.jsonl")).status == 0)
    #expect(try await Self.statelog("export", copy).stdout == exported.stdout, "an export is an exact backup")
    for stream in ["task/t1", "profile/p"] {
      let original = try await Self.statelog("state", log, stream, "--format", "json")
      let imported = try await Self.statelog("state", copy, stream, "--format", "json")
      #expect(original.stdout == imported.stdout)
    }
    let recovered = try await Self.statelog("recover", copy)
    #expect(recovered.stdout.hasPrefix("clean"))
  }

  @Test("export then import reproduces every event byte for byte: metadata, non-binary payloads, doubles")
  func exactBackup() async throws {
    let directory = TemporaryDirectory("cli-exact")
    let source = directory.child("source")
    do {
      let log = try Log.open(at: source)
      let codec = BinaryPayloadCodec()
      try log.append([
        NewEvent(
          stream: "raw/json", type: "note",
          timestamp: Timestamp(nanosecondsSinceEpoch: -9_223_372_036_854_775_807),
          payload: Array(#"{"z": 1, "a": [2.0]}"#.utf8)),
        NewEvent(stream: "raw/bytes", type: "blob", payload: [0, 255, 10, 13]),
        NewEvent(
          stream: "typed/v", type: "numbers", schemaVersion: 4,
          metadata: EventMetadata(
            correlationID: EventID("00000000-0000-4000-8000-000000000001"),
            entries: [.init(key: "z", value: "last"), .init(key: "a", value: "first")]),
          payload: codec.encode(["double": 2.0, "big": 1e300, "int": .int(.max), "neg": -0.0, "s": "é/😀"])),
        NewEvent(
          stream: "typed/v", type: "numbers", timestamp: Timestamp(nanosecondsSinceEpoch: .max),
          payload: codec.encode(["nan": .double(.nan), "inf": .double(-.infinity)])),
      ])
      try log.close()
    }
    let exported = try await Self.statelog("export", source)
    #expect(exported.status == 0, "\(exported.stderr)")
    Files.write(directory.child("backup.jsonl"), Array(exported.stdout.utf8))
    let copy = directory.child("copy")
    let imported = try await Self.statelog("import", copy, directory.child("backup.jsonl"))
    #expect(imported.status == 0, "\(imported.stderr)")
    let original = try Log.openReadOnly(at: source).events()
    let restored = try Log.openReadOnly(at: copy).events()
    #expect(restored == original, "every field, payload byte and metadata entry")
    #expect(try await Self.statelog("export", copy).stdout == exported.stdout)
  }

  /// An event `number` minutes after 2026-11-24T14:00:00Z.
  static func note(_ number: Int) -> NewEvent {
    NewEvent(
      stream: "note/\(number % 2)", type: "note",
      timestamp: Timestamp(nanosecondsSinceEpoch: 1_795_528_800_000_000_000 + Int64(number) * 60_000_000_000),
      payload: BinaryPayloadCodec().encode(.int(Int64(number))))
  }

  @Test("events --follow prints events a writer appends while it runs; --since and --until filter by time")
  func follow() async throws {
    let directory = TemporaryDirectory("cli-follow")
    let writer = try Log.open(at: directory.path)
    try writer.append([Self.note(0), Self.note(1)])
    let result = try await Subprocess.run(
      .path(FilePath(builtProductPath("statelog"))),
      arguments: ["events", directory.path, "--follow", "--format", "json"], input: .none, output: .sequence,
      error: .discarded
    ) { execution -> [Int] in
      var sequences: [Int] = []
      for try await line in execution.standardOutput.strings() {
        for text in line.split(separator: "\n") {
          sequences.append(try Self.json(String(text))["seq"] as? Int ?? -1)
        }
        // Once the stored events are out, append live ones, one at a time.
        if sequences.count >= 2 && sequences.count < 6 { try writer.append([Self.note(sequences.count)]) }
        if sequences.count >= 6 {
          try execution.send(signal: .terminate)
          break
        }
      }
      return sequences
    }
    #expect(result.closureResult == [1, 2, 3, 4, 5, 6])
    // state reads the log while this process still holds it open for writing.
    try writer.append([
      NewEvent(
        stream: "task/live", type: "task.created",
        payload: BinaryPayloadCodec().encode(["goal": "while writing"]))
    ])
    let state = try await Self.statelog("state", directory.path, "task/live", "--format", "json")
    #expect(state.status == 0, "\(state.stderr)")
    #expect((try Self.json(state.stdout)["state"] as? [String: Any])?["goal"] as? String == "while writing")
    // Events at minutes 0..5 after 14:00; since 14:02 and until 14:04 keeps 3 of them.
    let window = try await Self.statelog(
      "events", directory.path, "--since", "2026-11-24T14:02:00Z", "--until", "2026-11-24T14:04:00Z",
      "--format", "json")
    #expect(
      window.stdout.split(separator: "\n").map { try? Self.json(String($0))["seq"] as? Int } == [3, 4, 5])
  }

  @Test("snapshot take, list and prune; verify checks snapshots too")
  func snapshots() async throws {
    let directory = TemporaryDirectory("cli-snapshots")
    let log = directory.child("log")
    #expect(try await Self.statelog("demo", log).status == 0)
    let take = try await Self.statelog("snapshot", "take", log)
    #expect(take.status == 0, "\(take.stderr)")
    #expect(take.stdout.contains("took 3 snapshots"))
    let list = try await Self.statelog("snapshot", "list", log, "--format", "json")
    #expect(list.stdout.split(separator: "\n").count == 3)
    let info = try await Self.statelog("info", log, "--format", "json")
    #expect(try Self.json(info.stdout)["snapshots"] as? Int == 3)
    #expect(try await Self.statelog("verify", log).status == 0)
    // A damaged snapshot makes verify fail but state stays right.
    let before = try await Self.statelog("state", log, "task/book-trip", "--format", "json").stdout
    let folder = log + "/snapshots/task%2Fbook-trip"
    let file = folder + "/" + Files.list(folder)[0]
    var bytes = Files.read(file)
    bytes[60] ^= 0x01
    Files.write(file, bytes)
    let verify = try await Self.statelog("verify", log)
    #expect(verify.status == 1)
    #expect(verify.stdout.contains(".snap"))
    #expect(try await Self.statelog("state", log, "task/book-trip", "--format", "json").stdout == before)
    let prune = try await Self.statelog("snapshot", "prune", log, "--keep", "0")
    #expect(prune.stdout.contains("removed 3 snapshots"))
    // Retention on a one-segment log removes nothing: the active segment stays.
    let compact = try await Self.statelog("compact", log, "--before", "2026-11-24T14:03:00Z")
    #expect(compact.status == 0, "\(compact.stderr)")
    #expect(compact.stdout.hasPrefix("removed 0 segments"))
    let both = try await Self.statelog("compact", log)
    #expect(both.status == 64, "exactly one policy is required")
  }

  @Test("errors are one line on stderr with the documented exit code")
  func errors() async throws {
    let directory = TemporaryDirectory("cli-errors")
    let missing = try await Self.statelog("info", directory.child("nope"))
    #expect(missing.status == 3)
    Files.write(directory.child("notes.txt"), Array("x".utf8))
    let notALog = try await Self.statelog("events", directory.path)
    #expect(notALog.status == 3)

    let log = directory.child("log")
    #expect(try await Self.statelog("demo", log).status == 0)
    let badPoint = try await Self.statelog("state", log, "task/book-trip", "--at", "yesterday")
    #expect(badPoint.status == 8)
    let unknown = try await Self.statelog("state", log, "task/nope")
    #expect(unknown.status == 9)
    let unknownKind = try await Self.statelog("state", log, "session/x")
    #expect(unknownKind.status == 9)
    let allAtVersion = try await Self.statelog("state", log, "--all", "--at", "v:3")
    #expect(allAtVersion.status == 8)
    let noStream = try await Self.statelog("state", log)
    #expect(noStream.status == 8)
    let holder = try Log.open(at: log)
    let locked = try await Self.statelog(["append", log], input: "")
    #expect(locked.status == 4)
    #expect(locked.stderr.contains("pid \(getpid())"))
    try holder.close()
    for outcome in [missing, notALog, badPoint, unknown, unknownKind, allAtVersion, noStream, locked] {
      #expect(outcome.stderr.hasPrefix("statelog: "))
      #expect(outcome.stderr.split(separator: "\n").count == 1, "one line: \(outcome.stderr)")
    }

    // Damage a batch: verify lists it and exits 1; reading it is a corruption error.
    let segment = log + "/" + Files.list(log).first { $0.hasSuffix(".seg") }!
    var bytes = Files.read(segment)
    bytes[200] ^= 0xFF
    Files.write(segment, bytes)
    let verify = try await Self.statelog("verify", log)
    #expect(verify.status == 1)
    #expect(verify.stdout.contains("problem:"))
    let events = try await Self.statelog("events", log)
    #expect(events.status == 5)
    #expect(events.stderr.contains(".seg at offset"))

    // A segment written by a newer format version, with a sound header.
    bytes[200] ^= 0xFF
    var header = SegmentHeader(baseSequence: 1, createdAt: 0)
    header.formatVersion = 3
    header.minimumReaderVersion = 2
    Files.write(segment, header.encoded() + bytes[SegmentHeader.size...])
    let newer = try await Self.statelog("info", log)
    #expect(newer.status == 6)
    #expect(newer.stderr.contains("reader version 2"))
  }
}
