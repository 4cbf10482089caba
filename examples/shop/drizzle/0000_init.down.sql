-- Reverts 0000_init (`yamac migrate down`). Written by `yamac migrate generate`; edit it if the change needs more.
DROP TABLE "categories" CASCADE;
--> statement-breakpoint
DROP TABLE "product_tags" CASCADE;
--> statement-breakpoint
DROP TABLE "products" CASCADE;
--> statement-breakpoint
DROP TABLE "reviews" CASCADE;
--> statement-breakpoint
DROP TABLE "tags" CASCADE;
