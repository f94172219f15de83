import BookcatCore
import Foundation
import Hummingbird

/// Loans: members borrow and return copies; admins see and return every loan.
struct LoanController {
    let loans: any LoanRepository
    let clock: WallClock
    /// The most copies one loan may take (LOAN_MAX_QUANTITY).
    let maxQuantity: Int

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("loans", use: create)
        group.get("loans", use: list)
        group.get("loans/books/:book_id", use: listForBook)
        group.get("loans/:loan_id", use: show)
        group.patch("loans/:loan_id", use: update)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<LoanResponse> {
        let body = try await request.decodeJSON(as: LoanRequest.self, context: context)
        var check = ValidationCollector()
        if body.bookID <= 0 { check.fail("book_id", "must be a positive book id") }
        let quantity = check.integer(body.quantity, field: "quantity", in: 1...maxQuantity)
        try check.check()
        let loan = try await loans.create(userID: context.user.id, bookID: body.bookID, quantity: quantity, now: clock.now())
        // Stock is part of every cached book body.
        return EditedResponse(status: .created, headers: [.location: "/api/v1/loans/\(loan.id)"], response: LoanResponse(loan))
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> [LoanResponse] {
        try await loans.loans(userID: context.user.isAdmin ? nil : context.user.id).map(LoanResponse.init)
    }

    @Sendable func listForBook(_ request: Request, context: AuthenticatedContext) async throws -> [LoanResponse] {
        try context.requireAdmin()
        let bookID = try context.parameters.positiveID("book_id")
        return try await loans.loans(bookID: bookID).map(LoanResponse.init)
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> LoanResponse {
        LoanResponse(try await visibleLoan(context))
    }

    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> LoanResponse {
        let loan = try await visibleLoan(context)
        try await request.decodeJSON(as: LoanUpdateRequest.self, context: context).checkReturns(loan)
        let returned = try await loans.markReturned(id: loan.id, now: clock.now())
        return LoanResponse(returned)
    }

    /// The loan named in the path if the caller owns it or is an admin. Another member's loan is answered as a
    /// missing one, 404 alike: a 403 would tell a member which loan ids exist, and so how much others borrow.
    private func visibleLoan(_ context: AuthenticatedContext) async throws -> Loan {
        let id = try context.parameters.positiveID("loan_id")
        guard let loan = try await loans.loan(id: id), loan.userID == context.user.id || context.user.isAdmin else {
            throw CatalogError.noSuchLoan(id)
        }
        return loan
    }
}
