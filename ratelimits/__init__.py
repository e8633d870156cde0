"""Rate limits shared by every app server: a runaway board, a key guesser, a password guesser."""
