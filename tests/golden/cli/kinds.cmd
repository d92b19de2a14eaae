kinds
