-- A card gets its 16-digit number when it is personalized; the number is what terminals and the
-- hotlist know it by, so no two cards share one. NULL until personalization.
ALTER TABLE cards ADD COLUMN card_number TEXT;

CREATE UNIQUE INDEX cards_card_number ON cards (card_number);
