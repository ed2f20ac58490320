import TestSupport
import Testing

@testable import StateLog

@Suite("Name table")
struct NameTableTests {
  /// The same text in a `String` of its own storage, never the literal's.
  static func fresh(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
  }

  @Test(
    "names get slots in order of first appearance, by exact bytes, below and above the linear limit",
    arguments: [3, NameTable.linearLimit, NameTable.linearLimit + 1, 40])
  func slots(distinct: Int) {
    let names = (0..<distinct).map { "conversation/3f2a9c41b7de-\($0)" }
    var table = NameTable()
    for (slot, name) in names.enumerated() { #expect(table.slot(of: name) == slot) }
    // Again, interleaved, each from a string of its own storage: found by bytes.
    var generator = SeededGenerator(seed: 7)
    for _ in 0..<200 {
      let slot = Int(generator.next() % UInt64(distinct))
      #expect(table.slot(of: Self.fresh(names[slot])) == slot)
      #expect(table.slot(of: names[slot]) == slot)
    }
    #expect(table.count == distinct)
    #expect(table.names.map(\.string) == names)

    table.removeAll()
    #expect(table.count == 0)
    #expect(table.slot(of: names[distinct - 1]) == 0)
  }

  @Test("canonically equivalent names with different bytes get different slots; short and empty names work")
  func exactBytes() {
    var table = NameTable()
    let composed = "profile/caf\u{E9}"
    let decomposed = "profile/cafe\u{301}"
    #expect(table.slot(of: composed) == 0)
    #expect(table.slot(of: decomposed) == 1)
    #expect(table.slot(of: Self.fresh(decomposed)) == 1)
    #expect(table.slot(of: "t") == 2)
    #expect(table.slot(of: "") == 3)
    #expect(table.slot(of: Self.fresh("t")) == 2)
    #expect(table.slot(of: "") == 3)
  }
}
