import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS

/// TLS to Redis (`rediss://`): the server's certificate is verified, chain and name, against the system's trust store
/// or the CA file given; a client certificate and key, when given, answer a server that asks for one (mutual TLS).
/// There is no way to turn verification off, and no fall-back to plain text: a handshake that fails is a connection
/// that failed.
public struct RedisTLS: Sendable, Hashable {
    /// PEM file of the certificate authorities to trust instead of the system's (`REDIS_TLS_CA_FILE`).
    public var caFile: String?
    /// PEM files of this client's certificate (chain) and private key (`REDIS_TLS_CERT_FILE`, `REDIS_TLS_KEY_FILE`).
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// The NIOSSL context these files make: built once per process for each set of files, so a connection costs a
    /// handshake, not a reading of the files (a rotated certificate is read at the next start). Throws, naming the file, when one cannot be read or is not what it
    /// should be; call it at start-up to refuse a configuration that could never connect.
    public func context() throws(RedisError) -> NIOSSLContext {
        if let built = Self.contexts.withLockedValue({ $0[self] }) { return built }
        let context = try makeContext()
        Self.contexts.withLockedValue { $0[self] = context }
        return context
    }

    private static let contexts = NIOLockedValueBox<[RedisTLS: NIOSSLContext]>([:])

    private func makeContext() throws(RedisError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            let authorities = try Self.certificates(in: caFile, setting: "REDIS_TLS_CA_FILE")
            configuration.trustRoots = .certificates(authorities)
        }
        switch (certificateFile, keyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            configuration.certificateChain = try Self.certificates(in: certificateFile, setting: "REDIS_TLS_CERT_FILE").map { .certificate($0) }
            let key = try Self.contents(of: keyFile, setting: "REDIS_TLS_KEY_FILE")
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw .configuration("REDIS_TLS_KEY_FILE \(keyFile) holds no PEM private key (\(error))")
            }
        default:
            throw .configuration("a client certificate needs its key: set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE together")
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .configuration("the TLS settings for Redis were refused: \(error)")
        }
    }

    private static func certificates(in path: String, setting: String) throws(RedisError) -> [NIOSSLCertificate] {
        let bytes = try contents(of: path, setting: setting)
        let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes)
        guard let certificates, !certificates.isEmpty else { throw .configuration("\(setting) \(path) holds no PEM certificate") }
        return certificates
    }

    /// A PEM file is a few kilobytes; a bundle of every public CA is a few hundred.
    static let largestFile = 4 << 20

    /// The file's bytes, if it is a regular file of a sensible size. Never opens anything else: a FIFO or a device
    /// given by mistake would hang the start or read forever.
    private static func contents(of path: String, setting: String) throws(RedisError) -> [UInt8] {
        // Through symbolic links, as mounted secrets (a Kubernetes `ca.crt -> ..data/ca.crt`) are.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        guard let attributes else { throw .configuration("\(setting) \(path) cannot be read (no such file, or no permission)") }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw .configuration("\(setting) \(path) is not a regular file") }
        guard let size = attributes[.size] as? Int, size <= largestFile else {
            throw .configuration("\(setting) \(path) is larger than \(largestFile >> 20) MiB; a PEM file is a few kilobytes")
        }
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw .configuration("\(setting) \(path) cannot be read (no permission?)")
        }
        return Array(data.prefix(largestFile))
    }

    /// The TLS handler for a connection to `address`: its name is sent (SNI) and checked against the certificate;
    /// an IP address is checked against the certificate's IP addresses instead.
    func handler(for address: RedisAddress) throws(RedisError) -> NIOSSLClientHandler {
        let context = try context()
        let isIPAddress = (try? SocketAddress(ipAddress: address.host, port: 0)) != nil
        do {
            return try NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : address.host)
        } catch {
            throw .configuration("\(address.host) cannot be a TLS server name: \(error)")
        }
    }
}

/// Holds the connection back until its TLS handshake is done, so a certificate Redis should not be trusted with is
/// a failed connect naming the reason, not a command that failed later for no stated cause.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            done.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed before the handshake ended (the channel closed): whoever waits must not wait forever.
        done.fail(RedisError.connectionClosed)
    }
}
