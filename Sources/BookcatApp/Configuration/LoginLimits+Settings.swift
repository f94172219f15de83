import BookcatCore

extension LoginLimits {
    /// How many signups per address, and password checks and refreshes per account, the throttle lets through.
    init(settings: Settings) throws(ConfigurationError) {
        self.init()
        signupsPerClient = try settings.wholeNumber("signupsPerAddress", default: signupsPerClient, in: 1...1_000_000)
        checksPerAccount = try settings.wholeNumber("loginsPerMinute", default: checksPerAccount, in: 1...1_000_000)
        refreshesPerAccount = try settings.wholeNumber("refreshesPerMinute", default: refreshesPerAccount, in: 1...1_000_000)
    }
}
