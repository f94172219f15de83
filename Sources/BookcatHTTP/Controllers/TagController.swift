import BookcatCore
import Hummingbird

/// Tags: readable by any signed-in caller, edited by admins.
struct TagController {
    let tags: any TagRepository
    let reads: CachedReads

    /// `cachedReads` takes the handlers that answer through `reads` (see ``Authenticator/acceptsRememberedSessions``).
    func addRoutes(to group: RouterGroup<AuthenticatedContext>, cachedReads: RouterGroup<AuthenticatedContext>) {
        cachedReads.get("tags", use: list)
        group.post("tags", use: create)
        group.get("tags/:tag_id", use: show)
        group.put("tags/:tag_id", use: rename)
        group.delete("tags/:tag_id", use: delete)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        try await reads.respond(to: request, context: context, key: "tags:list") { [tags] in
            try await tags.allTags().map(TagResponse.init)
        }
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> TagResponse {
        let id = try context.parameters.positiveID("tag_id")
        guard let tag = try await tags.tag(id: id) else { throw CatalogError.noSuchTag(id) }
        return TagResponse(tag)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<TagResponse> {
        try context.requireAdmin()
        let name = try Self.validName(try await request.decodeJSON(as: TagRequest.self, context: context))
        let tag = try await tags.create(name: name)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/tags/\(tag.id)"], response: TagResponse(tag))
    }

    @Sendable func rename(_ request: Request, context: AuthenticatedContext) async throws -> TagResponse {
        try context.requireAdmin()
        let id = try context.parameters.positiveID("tag_id")
        let name = try Self.validName(try await request.decodeJSON(as: TagRequest.self, context: context))
        let tag = try await tags.rename(id: id, to: name)
        return TagResponse(tag)
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> HTTPResponse.Status {
        try context.requireAdmin()
        let id = try context.parameters.positiveID("tag_id")
        try await tags.delete(id: id)
        return .noContent
    }

    private static func validName(_ request: TagRequest) throws(CatalogError) -> String {
        var check = ValidationCollector()
        let name = check.requiredText(request.name, field: "name", maxLength: TagRules.maximumNameLength)
        try check.check()
        return name
    }
}
