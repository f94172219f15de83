/// One invalid configuration variable, printed as a single line: the variable, what it must be, what it was.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: String
    public var problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration error: \(variable) \(problem)" }
}
