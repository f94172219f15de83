// swift-tools-version:6.3
import PackageDescription

// The micro-benchmarks, in a package of their own so the product's manifest carries neither the benchmark package
// nor what it brings in (a malloc interposer, histograms, tables). Run from this folder:
//   ../scripts/generate/write-package-resolved.sh . && swift package --force-resolved-versions benchmark --target HitPath
// (needs `redis-server` on PATH). Pins: Package.pins beside this file, moved with
// `python3 scripts/generate/pin-dependencies.py --update Benchmarks`.
let package = Package(
    name: "bookcat-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "bookcat", path: ".."),
        // With allocation counts from its malloc interposer.
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
    ],
    targets: [
        // The pieces of a cache hit, in isolation, with allocation counts: `swift package benchmark --target HitPath`.
        .executableTarget(
            name: "HitPath",
            dependencies: [
                .product(name: "BookcatModulesForBenchmarks", package: "bookcat"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "HitPath",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
