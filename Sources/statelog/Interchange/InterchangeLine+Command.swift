import StateLog

extension InterchangeLine {
  /// Parses line `line` of an import or append input.
  ///
  /// - Throws: ``CommandFailure`` naming the line number and what is wrong.
  static func parse(_ text: String, line: Int) throws -> InterchangeLine {
    do {
      return try InterchangeLine(parsing: text)
    } catch {
      throw CommandFailure("line \(line): \(error.message)")
    }
  }
}
